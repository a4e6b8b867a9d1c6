//! Every endpoint of the one declaration (`backend::routes::table`) is served where it is
//! documented, and only with its methods.

use crate::helpers::*;

#[tokio::test]
async fn every_declared_endpoint_is_routed_and_other_methods_get_405_with_allow() {
    let app = spawn_app().await;
    let mut paths: Vec<(String, Vec<String>)> = vec![];
    for endpoint in backend::routes::table() {
        let method = endpoint.http_method().as_str().to_owned();
        match paths.iter_mut().find(|(p, _)| *p == endpoint.path) {
            Some((_, methods)) => methods.push(method),
            None => paths.push((endpoint.path.clone(), vec![method])),
        }
    }
    for (path, methods) in paths {
        let concrete = path.replace("{id}", "000000000000000000000000");
        // A method no endpoint uses: always 405, naming exactly the declared methods.
        let r = app.anonymous(reqwest::Method::PUT, &concrete).await;
        assert_eq!(r.status(), 405, "PUT {path}");
        let allow = r.headers()["allow"].to_str().unwrap().to_owned();
        let mut allowed: Vec<&str> = allow.split(", ").collect();
        allowed.sort_unstable();
        let mut expected: Vec<&str> = methods.iter().map(String::as_str).collect();
        expected.sort_unstable();
        assert_eq!(allowed, expected, "{path}");
        assert_problem(r, 405, "method_not_allowed").await;
        // Each declared method reaches a handler (never the 405 or the SPA fallback).
        for method in &methods {
            let r = app.anonymous(method.parse().unwrap(), &concrete).await;
            assert_ne!(r.status(), 405, "{method} {path}");
            let content_type = content_type(&r);
            assert!(
                !content_type.starts_with("text/html"),
                "{method} {path}: {content_type}"
            );
        }
    }
}
