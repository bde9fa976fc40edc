package dev.slm.fleet.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class EndpointAddressTest {

    @Test
    void unixAddressesCarryAnAbsolutePathAndHostPortOnesNone() {
        assertThat(EndpointAddress.unix("/run/slm/intent.sock")).isEqualTo("unix:///run/slm/intent.sock");
        assertThat(EndpointAddress.unixPath("unix:///run/slm/intent.sock")).contains("/run/slm/intent.sock");
        assertThat(EndpointAddress.unixPath("192.0.2.10:9000")).isEmpty();
        assertThat(EndpointAddress.unixPath("127.0.0.1:9000")).isEmpty();
    }

    @Test
    void aRelativeOrEmptySocketPathIsRefusedWithTheAddress() {
        assertThatThrownBy(() -> EndpointAddress.unixPath("unix://run/x.sock"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unix://run/x.sock");
        assertThatThrownBy(() -> EndpointAddress.unixPath("unix:///")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> EndpointAddress.unix("x.sock")).hasMessageContaining("absolute");
    }
}
