// A renamed dependency: the facade's `wait_for!` reaches corio through `$crate`.
extern crate corio as my_corio;

fn main() {
    let out = my_corio::Runner::new()
        .virtual_time()
        .run(async { my_corio::wait_for!(my_corio::sleep(3600), timeout = 1.0).await });
    assert_eq!(out, Err(my_corio::TimeoutError));
}
