"""Tests of the local stack's own code (local/): its patches of moto and Powertools, the bridge to the
handlers, the template reading, the OpenAPI build, the HTTP front. The product's rules are in tests/unit."""
