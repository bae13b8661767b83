if true {
