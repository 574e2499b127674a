use corio_runtime::{Runner, create_task, sleep, time};

#[test]
fn say_after_concurrent_ends_at_two() {
    let out = Runner::new().virtual_time().run(async {
        let a = create_task(async {
            sleep(1).await;
            time()
        });
        let b = create_task(async {
            sleep(2).await;
            time()
        });
        (a.await.unwrap(), b.await.unwrap(), time())
    });
    assert_eq!(out, (1.0, 2.0, 2.0));
}
