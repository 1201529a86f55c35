#!/usr/bin/env python3
"""Writes two small MaxMind DB files for the GeoIP tests with mmdb-writer (a real writer, read
back by libmaxminddb): OUT_DIR/test-city.mmdb (GeoLite2-City layout) and OUT_DIR/test-asn.mmdb
(GeoLite2-ASN layout). Addresses are documentation ranges; the data is made up.

    python3 scripts/make-test-mmdb.py OUT_DIR
"""
import sys
from netaddr import IPSet
from mmdb_writer import MMDBWriter, MmdbU32

out = sys.argv[1]

city = MMDBWriter(ip_version=6, ipv4_compatible=True, database_type="GeoLite2-City",
                  languages=["en", "de"], description="Sluice test City database")
city.insert_network(IPSet(["198.51.100.0/24"]), {
    "country": {"iso_code": "NL", "names": {"en": "Netherlands", "de": "Niederlande"}},
    "city": {"names": {"en": "Amsterdam", "de": "Amsterdam"}},
    "registered_country": {"iso_code": "NL"},
})
city.insert_network(IPSet(["203.0.113.0/25"]), {
    "country": {"iso_code": "DE", "names": {"en": "Germany", "de": "Deutschland"}},
    "city": {"names": {"en": "Munich", "de": "München"}},
})
city.insert_network(IPSet(["2001:db8:1::/48"]), {
    "country": {"iso_code": "JP", "names": {"en": "Japan"}},
    "city": {"names": {"en": "Tokyo"}},
})
# Country only (no city), like many GeoLite2 ranges.
city.insert_network(IPSet(["192.0.2.0/24"]), {"registered_country": {"iso_code": "US"}})
city.to_db_file(out + "/test-city.mmdb")

asn = MMDBWriter(ip_version=6, ipv4_compatible=True, database_type="GeoLite2-ASN",
                 languages=["en"], description="Sluice test ASN database")
asn.insert_network(IPSet(["198.51.100.0/24"]), {
    "autonomous_system_number": MmdbU32(64501), "autonomous_system_organization": "Example Transit B.V."})
asn.insert_network(IPSet(["2001:db8:1::/48"]), {
    "autonomous_system_number": MmdbU32(64502), "autonomous_system_organization": "Example Net KK"})
asn.to_db_file(out + "/test-asn.mmdb")
