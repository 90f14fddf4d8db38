"""Plan: one probe per (host, address, port), in the order a reader expects."""

from __future__ import annotations

from netprobe.model import Family, PortSpec, ProbeSpec, Role, Service
from netprobe.plan import family_of, plan
from netprobe.profile import Profile
from tests.unit.builders import (
    MX1,
    MX1_V4,
    MX1_V6,
    MX2,
    MX2_V4,
    REFERENCE,
    REFERENCE_V4,
    SMTP,
    SMTP_V4,
    make_exchange,
    make_host,
    make_resolution,
    make_submission_host,
)


def keys(specs: tuple[ProbeSpec, ...]) -> list[tuple[str, str, int]]:
    return [(s.host, s.address, s.port) for s in specs]


def test_family_of_tells_ipv4_from_ipv6() -> None:
    assert family_of(MX1_V4) is Family.IPV4
    assert family_of(MX1_V6) is Family.IPV6


def test_plan_exchange_gets_every_profile_port_on_every_address() -> None:
    resolution = make_resolution(exchanges=[make_exchange(MX1, 10, MX1_V6, MX1_V4)])

    specs = plan(resolution, Profile())

    assert keys(specs) == [
        (MX1, MX1_V6, 25),
        (MX1, MX1_V6, 587),
        (MX1, MX1_V6, 465),
        (MX1, MX1_V4, 25),
        (MX1, MX1_V4, 587),
        (MX1, MX1_V4, 465),
    ]
    assert [s.family for s in specs] == [Family.IPV6] * 3 + [Family.IPV4] * 3
    assert [s.service for s in specs[:3]] == [
        Service.SMTP,
        Service.SUBMISSION,
        Service.SUBMISSIONS,
    ]
    assert all(s.roles == (Role.EXCHANGE,) for s in specs)


def test_plan_host_both_exchange_and_submission_is_probed_once_with_both_roles() -> (
    None
):
    resolution = make_resolution(
        exchanges=[make_exchange(MX1, 10, MX1_V4)],
        submission_hosts=[make_submission_host(MX1, "exchange", MX1_V4)],
    )

    specs = plan(resolution, Profile())

    assert keys(specs) == [(MX1, MX1_V4, 25), (MX1, MX1_V4, 587), (MX1, MX1_V4, 465)]
    assert all(s.roles == (Role.EXCHANGE, Role.SUBMISSION) for s in specs)


def test_plan_host_listed_twice_in_one_role_keeps_one_role() -> None:
    resolution = make_resolution(
        submission_hosts=[
            make_submission_host(SMTP, "srv", SMTP_V4),
            make_submission_host(SMTP, "name", SMTP_V4),
        ],
    )

    specs = plan(resolution, Profile())

    assert len(specs) == 3
    assert all(s.roles == (Role.SUBMISSION,) for s in specs)


def test_plan_two_names_on_one_address_are_probed_separately() -> None:
    # The key is (host, address, port): each name is what a client would type.
    resolution = make_resolution(
        exchanges=[make_exchange(MX1, 10, MX1_V4)],
        submission_hosts=[make_submission_host(SMTP, "name", MX1_V4)],
    )

    specs = plan(resolution, Profile())

    assert [s.host for s in specs] == [MX1] * 3 + [SMTP] * 3
    assert {s.address for s in specs} == {MX1_V4}


def test_plan_profile_families_filter_addresses() -> None:
    resolution = make_resolution(exchanges=[make_exchange(MX1, 10, MX1_V6, MX1_V4)])

    ipv4_only = plan(resolution, Profile(families=(Family.IPV4,)))
    ipv6_only = plan(resolution, Profile(families=(Family.IPV6,)))

    assert {s.address for s in ipv4_only} == {MX1_V4}
    assert {s.family for s in ipv4_only} == {Family.IPV4}
    assert {s.address for s in ipv6_only} == {MX1_V6}


def test_plan_profile_ports_are_the_only_ports() -> None:
    resolution = make_resolution(exchanges=[make_exchange(MX1, 10, MX1_V4)])

    specs = plan(resolution, Profile(ports=(PortSpec.standard(25),)))

    assert keys(specs) == [(MX1, MX1_V4, 25)]


def test_plan_srv_port_outside_the_profile_is_added_first() -> None:
    srv_port = PortSpec(2525, Service.SUBMISSION)
    resolution = make_resolution(
        submission_hosts=[make_submission_host(SMTP, "srv", SMTP_V4, port=srv_port)]
    )

    specs = plan(resolution, Profile())

    assert [s.port for s in specs] == [2525, 25, 587, 465]
    assert specs[0].service is Service.SUBMISSION
    assert specs[0].roles == (Role.SUBMISSION,)


def test_plan_srv_port_already_in_the_profile_is_not_repeated() -> None:
    resolution = make_resolution(
        submission_hosts=[
            make_submission_host(SMTP, "srv", SMTP_V4, port=PortSpec.standard(465))
        ]
    )

    specs = plan(resolution, Profile())

    assert [s.port for s in specs] == [25, 587, 465]


def test_plan_srv_port_applies_to_that_host_only() -> None:
    resolution = make_resolution(
        exchanges=[make_exchange(MX1, 10, MX1_V4)],
        submission_hosts=[
            make_submission_host(
                SMTP, "srv", SMTP_V4, port=PortSpec(2525, Service.SUBMISSION)
            )
        ],
    )

    specs = plan(resolution, Profile())

    assert [s.port for s in specs if s.host == MX1] == [25, 587, 465]


def test_plan_reference_targets_are_probed_with_the_reference_role() -> None:
    resolution = make_resolution(references=[make_host(REFERENCE, REFERENCE_V4)])

    specs = plan(resolution, Profile())

    assert keys(specs) == [
        (REFERENCE, REFERENCE_V4, 25),
        (REFERENCE, REFERENCE_V4, 587),
        (REFERENCE, REFERENCE_V4, 465),
    ]
    assert all(s.roles == (Role.REFERENCE,) for s in specs)


def test_plan_order_is_exchanges_then_submission_then_references() -> None:
    resolution = make_resolution(
        exchanges=[make_exchange(MX2, 10, MX2_V4), make_exchange(MX1, 20, MX1_V4)],
        submission_hosts=[make_submission_host(SMTP, "name", SMTP_V4)],
        references=[make_host(REFERENCE, REFERENCE_V4)],
    )

    specs = plan(resolution, Profile(ports=(PortSpec.standard(25),)))

    assert [s.host for s in specs] == [MX2, MX1, SMTP, REFERENCE]
    assert [s.roles for s in specs] == [
        (Role.EXCHANGE,),
        (Role.EXCHANGE,),
        (Role.SUBMISSION,),
        (Role.REFERENCE,),
    ]


def test_plan_host_without_addresses_is_not_probed() -> None:
    resolution = make_resolution(
        exchanges=[make_exchange(MX1, 10), make_exchange(MX2, 20, MX2_V4)]
    )

    specs = plan(resolution, Profile())

    assert {s.host for s in specs} == {MX2}


def test_plan_nothing_resolved_plans_nothing() -> None:
    assert plan(make_resolution(), Profile()) == ()
