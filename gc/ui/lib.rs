//! Compile-fail tests for prologue-gc live in tests/ui; this library is empty.
