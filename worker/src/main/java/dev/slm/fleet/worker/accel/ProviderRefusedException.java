package dev.slm.fleet.worker.accel;

import dev.slm.fleet.worker.model.ModelLoadException;

/** No acceptable execution provider could open the model (policy refuse, or every provider failed). */
public class ProviderRefusedException extends ModelLoadException {
    public ProviderRefusedException(String message) {
        super(message);
    }
}
