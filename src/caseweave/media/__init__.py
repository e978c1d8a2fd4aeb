"""Media triage by hash: signal types, hashing where the files lie, hash sets, banks and matching.

Only hashes ever enter caseweave: no pixels, thumbnails or file contents are stored, shown or sent.
"""
