"""Akoma Ntoso (OASIS LegalDocML), both ways.

    reader.py   AKN 2.0 / 3.0 XML -> the provision tree (the `akoma-ntoso` source adapter)
    writer.py   one redaction in the graph -> AKN 3.0 XML (the export)

They sit side by side because each is the other's test: an export read back
gives the same redaction graph.
"""
