"""The Processing provider "JSNA Area Profiles" (id ``jsna``)."""
