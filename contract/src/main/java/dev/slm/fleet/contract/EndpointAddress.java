package dev.slm.fleet.contract;

import java.util.Optional;

/**
 * The forms of a routing-table endpoint address: {@code host:port} (a pod IP, or 127.0.0.1 in local mode), or {@code
 * unix:///absolute/path} for a worker's Unix domain socket on the router's own host.
 */
public final class EndpointAddress {

    public static final String UNIX_PREFIX = "unix://";

    private EndpointAddress() {}

    public static String unix(String absolutePath) {
        if (!absolutePath.startsWith("/")) {
            throw new IllegalArgumentException(
                    "a Unix socket address needs an absolute path, got '" + absolutePath + "'");
        }
        return UNIX_PREFIX + absolutePath;
    }

    /** The socket path of a {@code unix:///path} address; empty for a host:port address. */
    public static Optional<String> unixPath(String address) {
        if (!address.startsWith(UNIX_PREFIX)) {
            return Optional.empty();
        }
        String path = address.substring(UNIX_PREFIX.length());
        if (!path.startsWith("/") || path.length() < 2) {
            throw new IllegalArgumentException("endpoint address '" + address + "' is not unix:///absolute/path");
        }
        return Optional.of(path);
    }
}
