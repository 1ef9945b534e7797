// Config is #[non_exhaustive]: outside prologue-gc it cannot be written as a struct literal,
// not even with `..Config::default()`, so adding a field breaks no user. The setters
// (`Config::default().gc_percent(50)`) are the way to build one.
use prologue_gc::Config;

fn main() {
    let _config = Config {
        gc_percent: 50,
        ..Config::default()
    };
}
