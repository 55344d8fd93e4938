"""The private-address guard refuses every block of IANA's special-purpose registries.

The blocks below are copied, as data, from the IANA IPv4 and IPv6 Special-Purpose
Address Registries (iana-ipv4-special-registry, iana-ipv6-special-registry; the
"Address Block" column, every row). The guard is checked at each block's first,
last and middle address, and against Python's ipaddress.is_global for a sample of
ordinary addresses: public ones pass, anything it does not call global is refused.
"""

import ipaddress

import pytest

from statements.ingest.fetching import FetchError, address_problem, fetch_feed

IANA_IPV4_SPECIAL = """
0.0.0.0/8          "This network"
0.0.0.0/32         "This host on this network"
10.0.0.0/8         Private-Use
100.64.0.0/10      Shared Address Space
127.0.0.0/8        Loopback
169.254.0.0/16     Link Local
172.16.0.0/12      Private-Use
192.0.0.0/24       IETF Protocol Assignments
192.0.0.0/29       IPv4 Service Continuity Prefix
192.0.0.8/32       IPv4 dummy address
192.0.0.9/32       Port Control Protocol Anycast
192.0.0.10/32      Traversal Using Relays around NAT Anycast
192.0.0.170/32     NAT64/DNS64 Discovery
192.0.0.171/32     NAT64/DNS64 Discovery
192.0.2.0/24       Documentation (TEST-NET-1)
192.31.196.0/24    AS112-v4
192.52.193.0/24    AMT
192.88.99.0/24     Deprecated (6to4 Relay Anycast)
192.88.99.2/32     6a44-relay anycast address
192.168.0.0/16     Private-Use
192.175.48.0/24    Direct Delegation AS112 Service
198.18.0.0/15      Benchmarking
198.51.100.0/24    Documentation (TEST-NET-2)
203.0.113.0/24     Documentation (TEST-NET-3)
240.0.0.0/4        Reserved
255.255.255.255/32 Limited Broadcast
"""

IANA_IPV6_SPECIAL = """
::1/128            Loopback Address
::/128             Unspecified Address
::ffff:0:0/96      IPv4-mapped Address
64:ff9b::/96       IPv4-IPv6 Translat.
64:ff9b:1::/48     IPv4-IPv6 Translat.
100::/64           Discard-Only Address Block
100:0:0:1::/64     Dummy IPv6 Prefix
2001::/23          IETF Protocol Assignments
2001::/32          TEREDO
2001:1::1/128      Port Control Protocol Anycast
2001:1::2/128      Traversal Using Relays around NAT Anycast
2001:1::3/128      DNS-SD Service Registration Protocol Anycast
2001:2::/48        Benchmarking
2001:3::/32        AMT
2001:4:112::/48    AS112-v6
2001:10::/28       Deprecated (previously ORCHID)
2001:20::/28       ORCHIDv2
2001:30::/28       Drone Remote ID Protocol Entity Tags (DETs) Prefix
2001:db8::/32      Documentation
2002::/16          6to4
2620:4f:8000::/48  Direct Delegation AS112 Service
3fff::/20          Documentation
5f00::/16          Segment Routing (SRv6) SIDs
fc00::/7           Unique-Local
fe80::/10          Link-Local Unicast
"""


def blocks(table: str):
    for line in table.strip().splitlines():
        block, name = line.split(None, 1)
        yield pytest.param(ipaddress.ip_network(block), id=f"{block} {name.strip()}")


def sample(network):
    first, last = network.network_address, network.broadcast_address
    middle = first + (int(last) - int(first)) // 2
    return {first, middle, last}


@pytest.mark.parametrize("network", [*blocks(IANA_IPV4_SPECIAL), *blocks(IANA_IPV6_SPECIAL)])
def test_every_special_purpose_block_is_refused(network):
    for address in sample(network):
        assert address_problem(str(address)), f"{address} in {network} was allowed"


def test_6to4_and_nat64_wrapping_a_public_address_are_refused_too():
    # 2002:0808:0808:: is 6to4 for 8.8.8.8; 64:ff9b::808:808 is NAT64 for it.
    assert address_problem("2002:808:808::1")
    assert address_problem("64:ff9b::808:808")


@pytest.mark.parametrize(
    "address",
    ["8.8.8.8", "1.1.1.1", "93.184.215.14", "151.101.1.69", "2606:4700:4700::1111",
     "2a00:1450:4001:82a::200e", "::ffff:8.8.8.8"],
)
def test_public_addresses_pass(address):
    ip = ipaddress.ip_address(address)
    assert (getattr(ip, "ipv4_mapped", None) or ip).is_global
    assert address_problem(address) is None


@pytest.mark.parametrize(
    "address", ["100.64.1.1", "192.0.0.1", "::ffff:127.0.0.1", "ff02::1", "224.0.0.251"]
)
def test_whatever_python_does_not_call_global_is_refused(address):
    assert address_problem(address)


def test_a_fetch_to_a_6to4_literal_is_refused_before_connecting(settings):
    settings.FEED_ALLOW_PRIVATE_HOSTS = False
    with pytest.raises(FetchError, match=r"Refused: 2002:7f00:1::1 is "):
        fetch_feed(url="http://[2002:7f00:1::1]/feed.xml")
