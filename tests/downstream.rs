//! A crate whose only dependency is `prologue` builds and runs: `#[derive(Trace)]`, `Gc`, `Heap`
//! and `Pool` all come through the facade. Tests inside this workspace cannot show that (they
//! see `prologue-gc` too), so this builds tests/fixtures/downstream, a crate outside the workspace.
//!
//! The fixture is copied under the target directory with its path dependency made absolute and
//! the workspace's Cargo.lock beside it, so the build resolves the same versions offline and
//! writes nothing into the source tree.

use std::path::{Path, PathBuf};
use std::process::Command;

fn copy_fixture(root: &Path, work: &Path) -> PathBuf {
    let fixture = root.join("tests/fixtures/downstream");
    std::fs::create_dir_all(work.join("src")).expect("create the fixture's work directory");
    let manifest =
        std::fs::read_to_string(fixture.join("Cargo.toml")).expect("read fixture manifest");
    let relative = r#"path = "../../../runtime""#;
    assert!(
        manifest.contains(relative),
        "the fixture manifest names prologue by the path {relative}"
    );
    let facade_path = root
        .join("runtime")
        .display()
        .to_string()
        .replace('\\', "/");
    let manifest = manifest.replace(relative, &format!("path = {facade_path:?}"));
    std::fs::write(work.join("Cargo.toml"), manifest).expect("write fixture manifest");
    std::fs::copy(fixture.join("src/main.rs"), work.join("src/main.rs")).expect("copy main.rs");
    std::fs::copy(root.join("Cargo.lock"), work.join("Cargo.lock")).expect("copy Cargo.lock");
    work.join("Cargo.toml")
}

#[test]
fn a_crate_depending_only_on_prologue_builds_and_runs() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let work = Path::new(env!("CARGO_TARGET_TMPDIR")).join("downstream-fixture");
    let manifest = copy_fixture(root, &work);
    let output = Command::new(env!("CARGO"))
        .args(["run", "--offline", "--quiet", "--manifest-path"])
        .arg(&manifest)
        .env("CARGO_TARGET_DIR", work.join("target"))
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_BUILD_TARGET")
        .output()
        .expect("run cargo on the fixture");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let hint = if stderr.contains("`prologue_gc`") {
        "\nhint: the code #[derive(Trace)] generates names `::prologue_gc`, which a crate \
         depending only on `prologue` cannot see; the derive must find the gc crate under \
         the name the user's crate knows it by"
    } else {
        ""
    };
    assert!(
        output.status.success(),
        "the downstream fixture failed ({}):\n{stdout}\n{stderr}{hint}",
        output.status
    );
    assert!(
        stdout.starts_with("downstream ok: sum 55, freed 22 objects"),
        "unexpected output: {stdout}"
    );
}
