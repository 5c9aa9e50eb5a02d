"""Belgian geography: places, geocoding, the rail graph, travel times, what-if scenarios."""
