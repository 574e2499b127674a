//! The subprocess API through the facade's names: `corio::Command`, `corio::Process`,
//! `corio::create_subprocess_exec`, `corio::create_subprocess_shell`.

use std::process::Stdio;

#[test]
fn subprocesses_through_corio_names() {
    corio::run(async {
        let mut child: corio::Process = corio::Command::new("echo")
            .arg("hi")
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let (out, _) = corio::timeout(5)
            .wrap(child.communicate(None))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(out, b"hi\n");
        let mut child = corio::create_subprocess_exec("cat", ["-"]).await.unwrap();
        let (out, _) = child.communicate(Some(b"x")).await.unwrap();
        assert_eq!(out, b"x");
        let mut child = corio::create_subprocess_shell("exit 4").await.unwrap();
        assert_eq!(child.wait().await.unwrap().code(), Some(4));
        assert_eq!(child.returncode(), Some(4));
    });
}
