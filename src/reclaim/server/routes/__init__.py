"""HTTP routes, one module per HMA blueprint: matching (/m), hashing (/h), curating (/c)."""
