//! Rebuilds the embedded migrations whenever this crate's folder changes.
fn main() {
    println!("cargo:rerun-if-changed=../../migrations/ratings");
}
