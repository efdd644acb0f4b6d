"""The demo bank: a seeded, realistic bank fed through the real importer (`seed_demo`)."""
