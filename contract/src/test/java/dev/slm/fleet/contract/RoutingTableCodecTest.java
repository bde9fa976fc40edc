package dev.slm.fleet.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.slm.fleet.proto.v1.Endpoint;
import dev.slm.fleet.proto.v1.RoutingTable;
import dev.slm.fleet.proto.v1.TaskRoute;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RoutingTableCodecTest {

    private static String table(String address) {
        return RoutingTableCodec.toJson(RoutingTable.newBuilder()
                .setVersion(1)
                .addTasks(TaskRoute.newBuilder()
                        .setTask(Tasks.CLASSIFY_INTENT)
                        .addEndpoints(Endpoint.newBuilder().setAddress(address)))
                .build());
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "192.0.2.7:9000",
                "[fd00::1]:9000",
                "[::1]:9000",
                "intent-0.intent:9000",
                "127.0.0.1:1",
                "unix:///run/slm/intent.sock"
            })
    void acceptsHostPortAndBracketedIpv6(String address) {
        assertThat(RoutingTableCodec.parse(table(address))
                        .getTasks(0)
                        .getEndpoints(0)
                        .getAddress())
                .isEqualTo(address);
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "fd00::1:9000",
                "192.0.2.7",
                "192.0.2.7:0",
                "192.0.2.7:70000",
                "[fd00::1]",
                "a b:9000",
                "unix://run/x.sock",
                "unix:///"
            })
    void refusesAddressesThatAreNotHostPort(String address) {
        assertThatThrownBy(() -> RoutingTableCodec.parse(table(address)))
                .isInstanceOf(RoutingTableCodec.InvalidRoutingTableException.class)
                .hasMessageContaining(address);
    }

    @Test
    void writesIpv6PodAddressesInBrackets() {
        assertThat(RoutingTableCodec.address("fd00::1", 9000)).isEqualTo("[fd00::1]:9000");
        assertThat(RoutingTableCodec.address("192.0.2.3", 9000)).isEqualTo("192.0.2.3:9000");
    }
}
