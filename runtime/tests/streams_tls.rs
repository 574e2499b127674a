//! TLS over the loop's sockets with futures-rustls (the ring provider) and a certificate made
//! at test time: a server on a `net::TcpStream`, a client on a `StreamReader` /
//! `StreamWriter` pair, bytes round-tripping exactly.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use corio_runtime::net::TcpListener;
use corio_runtime::{StreamReader, StreamWriter, create_task, open_connection, timeout};
use futures::io::BufReader;
use futures::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use futures_rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use futures_rustls::rustls::{self, ClientConfig, RootCertStore, ServerConfig};
use futures_rustls::{TlsAcceptor, TlsConnector};

/// A connection's reader and writer as one duplex byte stream, which TLS wants.
struct Duplex(StreamReader, StreamWriter);

impl AsyncRead for Duplex {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl AsyncWrite for Duplex {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.1).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.1).poll_flush(cx)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.1).poll_close(cx)
    }
}

fn configs() -> (Arc<ServerConfig>, Arc<ClientConfig>) {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let cert: CertificateDer<'static> = certified.cert.der().clone();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
        certified.signing_key.serialize_der(),
    ));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let server = ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert.clone()], key)
        .unwrap();
    let mut roots = RootCertStore::empty();
    roots.add(cert).unwrap();
    let client = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    (Arc::new(server), Arc::new(client))
}

#[test]
fn tls_round_trips_bytes_over_the_loop() {
    let (server_config, client_config) = configs();
    let request: Vec<u8> = (0..300_000u32)
        .map(|i| b'a' + (i % 26) as u8)
        .chain(std::iter::once(b'\n'))
        .collect();
    let reply = corio_runtime::run({
        let request = request.clone();
        async move {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let port = listener.local_addr().unwrap().port();
            let server = create_task(async move {
                let (tcp, _) = listener.accept().await?;
                let tls = TlsAcceptor::from(server_config).accept(tcp).await?;
                let mut tls = BufReader::new(tls);
                let mut line = Vec::new();
                tls.read_until(b'\n', &mut line).await?;
                let tls = tls.get_mut();
                tls.write_all(b"got ").await?;
                tls.write_all(&line.to_ascii_uppercase()).await?;
                tls.close().await?;
                io::Result::Ok(line.len())
            });

            let (reader, writer) = open_connection("127.0.0.1", port).await.unwrap();
            let name = ServerName::try_from("localhost").unwrap();
            let mut tls = TlsConnector::from(client_config)
                .connect(name, Duplex(reader, writer))
                .await
                .unwrap();
            tls.write_all(&request).await.unwrap();
            tls.flush().await.unwrap();
            let mut reply = Vec::new();
            timeout(20)
                .wrap(tls.read_to_end(&mut reply))
                .await
                .expect("TLS hung")
                .unwrap();
            assert_eq!(server.await.unwrap().unwrap(), request.len());
            reply
        }
    });
    let mut expected = b"got ".to_vec();
    expected.extend(request.to_ascii_uppercase());
    assert_eq!(reply.len(), expected.len());
    assert!(reply == expected);
}
