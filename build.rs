//! Rebuild when the built-in scenarios or templates change: they are compiled into the binary.

fn main() {
    println!("cargo:rerun-if-changed=scenarios");
    println!("cargo:rerun-if-changed=templates");
}
