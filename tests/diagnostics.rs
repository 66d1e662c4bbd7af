//! Diagnostics tests (filled in below).
