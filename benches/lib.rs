//! Shared helpers for prologue's benchmarks (the bench targets live beside this file).
