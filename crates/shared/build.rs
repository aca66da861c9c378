//! Rebuilds the embedded migrations whenever a migration folder changes.
fn main() {
    println!("cargo:rerun-if-changed=../../migrations");
}
