//! Rebuilds the embedded migrations whenever this crate's migration folder changes.
fn main() {
    println!("cargo:rerun-if-changed=../../migrations/shared");
}
