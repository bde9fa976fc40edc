package dev.slm.fleet.contract;

/** Container ports of workers and routers in a cluster. */
public final class Ports {
    public static final int GRPC = 9000;
    public static final int HTTP = 8080;

    private Ports() {}
}
