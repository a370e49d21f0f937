"""hotline: 12345/110 linkage IVR."""
