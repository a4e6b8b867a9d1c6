//! Components rendered into the real DOM of headless Chromium: names, labels, autocomplete,
//! live regions, and the client-side checks showing up next to their fields. No network:
//! every interaction here is refused by the client before a request would be made.

use frontend::components::{Flash, LangSwitch};
use frontend::form::{Field, Issue};
use frontend::i18n::{self, use_i18n, I18n, T};
use frontend::pages::{login::LoginPage, reset::ResetPage, signup::SignupPage};
use leptos::prelude::*;
use leptos_router::components::Router;
use shared::ErrorCode;
use shared::Locale;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{HtmlElement, HtmlInputElement};

wasm_bindgen_test_configure!(run_in_browser);

/// Lets Leptos flush its scheduled effects and renders.
async fn tick() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        web_sys::window()
            .unwrap()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 30)
            .unwrap();
    });
    wasm_bindgen_futures::JsFuture::from(promise).await.unwrap();
}

/// A fresh container in `<body>` with what was mounted in it, unmounted and removed when
/// dropped.
struct Host {
    el: HtmlElement,
    app: Option<Box<dyn std::any::Any>>,
}

impl Host {
    /// `app` mounted into a fresh container, once Leptos has rendered it.
    async fn mount<V: IntoView + 'static>(app: impl FnOnce() -> V + 'static) -> Self {
        let doc = document();
        let el: HtmlElement = doc.create_element("div").unwrap().unchecked_into();
        doc.body().unwrap().append_child(&el).unwrap();
        let app = leptos::mount::mount_to(el.clone(), app);
        tick().await;
        Host {
            el,
            app: Some(Box::new(app)),
        }
    }

    /// `page` with the app's contexts (in `lang`) and a router, rendered.
    async fn page<V: IntoView + 'static>(
        lang: Locale,
        page: impl Fn() -> V + Clone + Send + Sync + 'static,
    ) -> Self {
        Self::mount(move || {
            provide_context(I18n::new(lang));
            provide_context(Flash(RwSignal::new(None)));
            view! { <Router>{page()}</Router> }
        })
        .await
    }

    fn query(&self, selector: &str) -> Option<web_sys::Element> {
        self.el.query_selector(selector).unwrap()
    }

    /// The attribute `name` of the element `selector` names.
    fn attr(&self, selector: &str, name: &str) -> Option<String> {
        self.query(selector)
            .unwrap_or_else(|| panic!("nothing matches {selector}"))
            .get_attribute(name)
    }

    /// The attribute `attr` of the input named `name`.
    fn input_attr(&self, name: &str, attr: &str) -> Option<String> {
        self.input(name).get_attribute(attr)
    }

    fn input(&self, name: &str) -> HtmlInputElement {
        self.query(&format!("input[name=\"{name}\"]"))
            .unwrap_or_else(|| panic!("no input named {name}"))
            .unchecked_into()
    }

    fn text(&self, selector: &str) -> String {
        self.query(selector)
            .unwrap_or_else(|| panic!("nothing matches {selector}"))
            .text_content()
            .unwrap_or_default()
    }

    fn click(&self, selector: &str) {
        let el: HtmlElement = self.query(selector).unwrap().unchecked_into();
        el.click();
    }

    fn type_into(&self, name: &str, value: &str) {
        let input = self.input(name);
        input.set_value(value);
        let init = web_sys::EventInit::new();
        init.set_bubbles(true);
        let event = web_sys::Event::new_with_event_init_dict("input", &init).unwrap();
        input.dispatch_event(&event).unwrap();
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        self.app.take();
        self.el.remove();
    }
}

#[wasm_bindgen_test]
async fn signup_inputs_are_labelled_and_named_after_the_dto_fields() {
    let host = Host::page(Locale::En, || view! { <SignupPage /> }).await;

    for (name, autocomplete, kind) in [
        ("username", "username", "text"),
        ("password", "new-password", "password"),
        ("password_confirm", "new-password", "password"),
        ("nickname", "nickname", "text"),
        ("email", "email", "email"),
    ] {
        let input = host.input(name);
        assert_eq!(
            input.get_attribute("autocomplete").as_deref(),
            Some(autocomplete),
            "{name}"
        );
        assert_eq!(input.type_(), kind, "{name}");
        let label = host.query(&format!("label[for=\"{}\"]", input.id()));
        assert!(
            label.is_some_and(|l| !l.text_content().unwrap_or_default().is_empty()),
            "{name}"
        );
        let error_id = format!("{name}-error");
        let described = input.get_attribute("aria-describedby").unwrap_or_default();
        assert!(
            described.split(' ').any(|id| id == error_id),
            "{name}: {described}"
        );
        let region = host.query(&format!("#{error_id}")).unwrap();
        assert_eq!(region.get_attribute("aria-live").as_deref(), Some("polite"));
    }
    assert!(
        host.query("input[name=\"code\"]").is_none(),
        "code field before any code was sent"
    );
    assert!(
        host.query("[role=\"alert\"]").is_some(),
        "form alert region is always present"
    );
    assert_eq!(
        host.text("#verify-email"),
        i18n::t(Locale::En, T::VerifyEmail)
    );
}

#[wasm_bindgen_test]
async fn verify_email_with_empty_fields_shows_errors_without_calling_the_api() {
    let host = Host::page(Locale::Ko, || view! { <SignupPage /> }).await;

    host.click("#verify-email");
    tick().await;
    let required = i18n::issue_message(
        Locale::Ko,
        Field::Username,
        &Issue::Rule(ErrorCode::Required),
    );
    for name in ["username", "nickname", "email"] {
        assert_eq!(host.text(&format!("#{name}-error")), required, "{name}");
        assert_eq!(
            host.input_attr(name, "aria-invalid").as_deref(),
            Some("true")
        );
    }
    assert_eq!(
        host.text("#password-error"),
        "",
        "password is not checked at this step"
    );
    assert_eq!(
        host.text("[role=\"alert\"]"),
        i18n::error_message(Locale::Ko, ErrorCode::ValidationFailed)
    );
    assert_eq!(
        host.attr("#verify-email", "disabled"),
        None,
        "nothing in flight, so the button stays usable"
    );

    // Typing into a field clears its error.
    host.type_into("username", "hong_gildong");
    tick().await;
    assert_eq!(host.text("#username-error"), "");
    assert_eq!(
        host.input_attr("username", "aria-invalid").as_deref(),
        Some("false")
    );
}

#[wasm_bindgen_test]
async fn sign_up_before_verifying_asks_for_the_code_and_checks_the_confirmation() {
    let host = Host::page(Locale::En, || view! { <SignupPage /> }).await;

    host.type_into("username", "hong_gildong");
    host.type_into("password", "correct horse battery");
    host.type_into("password_confirm", "correct horse batterY");
    host.type_into("nickname", "Gildong");
    host.type_into("email", "gildong@example.com");
    host.click("#signup-submit");
    tick().await;

    assert_eq!(
        host.text("#password_confirm-error"),
        i18n::issue_message(Locale::En, Field::PasswordConfirm, &Issue::PasswordMismatch)
    );
    assert_eq!(
        host.text("#email-error"),
        i18n::issue_message(Locale::En, Field::Email, &Issue::VerifyFirst)
    );
    assert_eq!(host.text("#username-error"), "");
    assert_eq!(
        document().active_element().map(|e| e.id()).as_deref(),
        Some("password_confirm"),
        "focus moves to the first field to fix"
    );

    // The show/hide toggle switches both password fields.
    host.click("button[aria-controls=\"password password_confirm\"]");
    tick().await;
    assert_eq!(host.input("password").type_(), "text");
    assert_eq!(host.input("password_confirm").type_(), "text");
}

#[wasm_bindgen_test]
async fn login_uses_current_password_and_requires_both_fields() {
    let host = Host::page(Locale::En, || view! { <LoginPage /> }).await;

    // `webauthn`: the browser offers passkeys in the field's autofill.
    assert_eq!(
        host.input_attr("username", "autocomplete").as_deref(),
        Some("username webauthn")
    );
    let password = host.input("password");
    assert_eq!(
        password.get_attribute("autocomplete").as_deref(),
        Some("current-password")
    );
    assert_eq!(password.type_(), "password");

    host.click("#login-submit");
    tick().await;
    let required = i18n::error_message(Locale::En, ErrorCode::Required);
    assert_eq!(host.text("#username-error"), required);
    assert_eq!(host.text("#password-error"), required);
}

#[wasm_bindgen_test]
async fn the_language_switch_retranslates_and_is_remembered() {
    frontend::session::save_lang("ko");
    let host = Host::mount(|| {
        provide_context(I18n::new(Locale::Ko));
        let i18n = use_i18n();
        view! {
            <LangSwitch />
            <p id="probe">{move || i18n.t(T::SignUp)}</p>
        }
    })
    .await;
    assert_eq!(host.text("#probe"), "회원가입");
    let pressed = |lang| host.attr(&format!("button[lang=\"{lang}\"]"), "aria-pressed");
    assert_eq!(pressed("ko").as_deref(), Some("true"));

    host.click("button[lang=\"en\"]");
    tick().await;
    assert_eq!(host.text("#probe"), "Sign up");
    assert_eq!(pressed("en").as_deref(), Some("true"));
    assert_eq!(frontend::session::saved_lang().as_deref(), Some("en"));
    assert_eq!(frontend::app::initial_lang(), Locale::En);
}

#[wasm_bindgen_test]
fn the_access_token_lives_in_memory_only() {
    frontend::session::clear();
    assert_eq!(frontend::session::token(), None);
    frontend::session::start(&shared::LoginResponse {
        access_token: "abc.def.ghi".into(),
        token_type: "Bearer".into(),
        expires_in: 900,
        refresh_token: None,
        refresh_expires_in: 604_800,
    });
    assert_eq!(frontend::session::token().as_deref(), Some("abc.def.ghi"));
    // Nothing token-like anywhere script-readable storage could leak it from.
    let window = web_sys::window().unwrap();
    for storage in [
        window.session_storage().unwrap().unwrap(),
        window.local_storage().unwrap().unwrap(),
    ] {
        for i in 0..storage.length().unwrap() {
            let key = storage.key(i).unwrap().unwrap();
            let value = storage.get_item(&key).unwrap().unwrap_or_default();
            assert!(!value.contains("abc.def.ghi"), "{key} holds the token");
        }
    }
    frontend::session::clear();
    assert_eq!(frontend::session::token(), None);
}

#[wasm_bindgen_test]
async fn login_links_to_the_password_reset() {
    let host = Host::page(Locale::Ko, || view! { <LoginPage /> }).await;
    let link = host
        .query("a#forgot-password")
        .expect("a forgot-password link");
    assert_eq!(link.get_attribute("href").as_deref(), Some("/reset"));
    assert_eq!(
        link.text_content().unwrap_or_default(),
        "비밀번호를 잊으셨나요?"
    );
}

#[wasm_bindgen_test]
async fn reset_asks_for_a_valid_email_before_sending_and_hides_the_code_step() {
    let host = Host::page(Locale::En, || view! { <ResetPage /> }).await;

    assert_eq!(host.text("h1"), "Reset your password");
    let email = host.input("email");
    assert_eq!(
        email.get_attribute("autocomplete").as_deref(),
        Some("email")
    );
    assert_eq!(email.type_(), "email");
    assert_eq!(host.text("#reset-send"), "Send reset code");
    // The code and the new password only appear once a code was asked for.
    assert!(host.query("input[name=\"code\"]").is_none());
    assert!(host.query("input[name=\"new_password\"]").is_none());
    assert!(host.query("#reset-submit").is_none());

    host.click("#reset-send");
    tick().await;
    assert_eq!(
        host.text("#email-error"),
        i18n::error_message(Locale::En, ErrorCode::Required)
    );
    assert_eq!(email.get_attribute("aria-invalid").as_deref(), Some("true"));

    host.type_into("email", "not an address");
    tick().await;
    assert_eq!(host.text("#email-error"), "", "typing clears the error");
    host.click("#reset-send");
    tick().await;
    assert_eq!(
        host.text("#email-error"),
        i18n::issue_message(
            Locale::En,
            Field::Email,
            &Issue::Rule(ErrorCode::InvalidCharacters)
        )
    );
    assert!(host.query("input[name=\"code\"]").is_none());
    assert_eq!(
        document().active_element().map(|e| e.id()).as_deref(),
        Some("email")
    );
}
