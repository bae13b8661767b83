fn main() {
    println!("popstore {}", env!("CARGO_PKG_VERSION"));
}
