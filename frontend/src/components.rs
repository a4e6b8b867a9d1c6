//! Small building blocks shared by the pages, and the guards of the signed-in pages
//! (`signed_in`, `with_session`, `leave_when_refused`, `end_session`).

use crate::api::{self, ApiError};
use crate::form::{self, Alert, Field, FieldErrors};
use crate::i18n::{self, use_i18n, Notice, T};
use crate::session;
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;
use leptos_router::NavigateOptions;
use shared::{Locale, UserProfile};
use std::time::Duration;
use wasm_bindgen::JsCast;

/// A one-time notice for the next page (set before navigating to `/login`).
#[derive(Debug, Clone, Copy)]
pub struct Flash(pub RwSignal<Option<Notice>>);

impl Flash {
    pub fn take(&self) -> Option<Notice> {
        let notice = self.0.get_untracked();
        self.0.set(None);
        notice
    }

    pub fn set(&self, notice: Notice) {
        self.0.set(Some(notice));
    }
}

pub fn use_flash() -> Flash {
    expect_context::<Flash>()
}

/// Keeps `document.title` in step with the page and language.
pub fn use_title(key: T) {
    let i18n = use_i18n();
    Effect::new(move || {
        let lang = i18n.get();
        document().set_title(&format!(
            "{} · {}",
            i18n::t(lang, key),
            i18n::t(lang, T::AppName)
        ));
    });
}

/// `Date.now()`, refreshed twice a second while the calling component lives. Set it to
/// `Date.now()` right after computing a deadline, so countdowns start from the full value.
pub fn use_clock() -> RwSignal<f64> {
    let now = RwSignal::new(js_sys::Date::now());
    if let Ok(handle) = set_interval_with_handle(
        move || now.set(js_sys::Date::now()),
        Duration::from_millis(500),
    ) {
        on_cleanup(move || handle.clear());
    }
    now
}

/// Moves keyboard focus to the input of `field` once the current render has landed.
pub fn focus_field(field: Field) {
    request_animation_frame(move || {
        if let Some(el) = document()
            .get_element_by_id(field.name())
            .and_then(|el| el.dyn_into::<web_sys::HtmlElement>().ok())
        {
            let _ = el.focus();
        }
    });
}

/// Moves keyboard focus to the element `id` (a page's heading, `tabindex="-1"`) once it is in
/// the document (a `Suspense` shows it when everything inside has loaded; checked each frame,
/// for about two seconds), if nothing has the focus: the control that had it went with the
/// page before (the login form), and the next Tab would otherwise leave the page.
pub fn focus_if_lost(id: &'static str) {
    fn attempt(id: &'static str, frames_left: u32) {
        request_animation_frame(move || {
            let doc = document();
            let Some(el) = doc.get_element_by_id(id) else {
                if frames_left > 0 {
                    attempt(id, frames_left - 1);
                }
                return;
            };
            let lost = match (doc.active_element(), doc.body()) {
                (None, _) => true,
                (Some(active), Some(body)) => active == *body.as_ref(),
                (Some(_), None) => false,
            };
            if let Some(el) = lost
                .then_some(el)
                .and_then(|el| el.dyn_into::<web_sys::HtmlElement>().ok())
            {
                let _ = el.focus();
            }
        });
    }
    attempt(id, 120);
}

/// Goes to `path` (in place of this page in the history when `replace`) with `notice` for
/// the page there.
pub fn go_with(notice: Notice, path: &'static str, replace: bool) -> impl Fn() + Clone {
    let navigate = use_navigate();
    let flash = use_flash();
    move || {
        flash.set(notice.clone());
        navigate(
            path,
            NavigateOptions {
                replace,
                ..Default::default()
            },
        );
    }
}

/// Leaves the session: token dropped, back to the login page with `notice`.
pub fn end_session(notice: Notice) -> impl Fn() + Clone {
    let to_login = go_with(notice, "/login", true);
    move || {
        session::clear();
        to_login();
    }
}

/// `run`, unless `pending` (the request it would make is under way already).
pub fn unless_pending(pending: Memo<bool>, run: impl Fn() + Copy) -> impl Fn() + Copy {
    move || {
        if !pending.get_untracked() {
            run();
        }
    }
}

/// A form's submit handler: the browser's own submit is prevented, and `send` runs unless
/// `pending` (the form's request is under way).
pub fn submit_unless(
    pending: Memo<bool>,
    send: impl Fn() + Copy + 'static,
) -> impl Fn(SubmitEvent) + Copy {
    move |ev| {
        ev.prevent_default();
        if !pending.get_untracked() {
            send();
        }
    }
}

/// "Loading…", muted: what a page or a section shows while its data is on the way.
pub fn loading() -> impl IntoView {
    let i18n = use_i18n();
    view! { <p class="muted">{move || i18n.t(T::Loading)}</p> }
}

/// A failed load, in words.
pub fn error_banner(err: ApiError) -> impl IntoView {
    let i18n = use_i18n();
    let alert = Alert::from(err);
    view! { <p class="banner error">{move || i18n::alert_message(i18n.get(), &alert)}</p> }
}

/// A failed load in words, and a button to try again (`on_retry`).
#[component]
pub fn LoadError(err: ApiError, on_retry: impl Fn() + 'static) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <div role="alert">{error_banner(err)}</div>
        <button type="button" class="primary" on:click=move |_| on_retry()>
            {move || i18n.t(T::Retry)}
        </button>
    }
}

/// Calls `leave` once `resource` was refused for want of a session (401 `invalid_token`).
pub fn leave_when_refused<T: 'static>(
    resource: LocalResource<Result<T, ApiError>>,
    leave: impl Fn() + 'static,
) {
    Effect::new(move || {
        if resource.with(|r| matches!(r, Some(Err(e)) if e.is_unauthorized())) {
            leave();
        }
    });
}

/// Renders `form` with the signed-in profile; a dead session goes to the login page.
pub fn signed_in<V: IntoView + 'static>(
    form: impl Fn(UserProfile) -> V + Clone + Send + Sync + 'static,
) -> impl IntoView {
    let profile =
        LocalResource::new(|| session::authed(|token| async move { api::nick(&token).await }));
    leave_when_refused(profile, end_session(Notice::SessionExpired));
    view! {
        <Suspense fallback=loading>
            {move || {
                let form = form.clone();
                profile
                    .get()
                    .map(move |result| match result {
                        Ok(p) => form(p).into_any(),
                        Err(_) => ().into_any(),
                    })
            }}
        </Suspense>
    }
}

/// Shows `page` once a session is there (refreshing first after a reload); without one, a
/// browser that had a session is told it ended, anyone else just sees the login.
pub fn with_session<V: IntoView + 'static>(page: fn() -> V) -> impl IntoView {
    let signed_in = LocalResource::new(session::access);
    // No session: a browser that had one is told it ended; anyone else just sees the login.
    let expired = end_session(Notice::SessionExpired);
    let navigate = use_navigate();
    Effect::new(move || {
        if signed_in.with(|s| matches!(s, Some(None))) {
            if session::forget_signed_in() {
                expired();
            } else {
                navigate(
                    "/login",
                    NavigateOptions {
                        replace: true,
                        ..Default::default()
                    },
                );
            }
        }
    });
    view! {
        <Suspense fallback=loading>
            {move || signed_in.get().flatten().map(|_| page())}
        </Suspense>
    }
}

/// A page's card: the heading `title` (which names the section, `heading_id`), its lead when
/// there is one, then `children`; the document's title follows `title`.
#[component]
pub fn Card(
    heading_id: &'static str,
    title: T,
    lead: Option<T>,
    #[prop(default = "card")] class: &'static str,
    children: Children,
) -> impl IntoView {
    let i18n = use_i18n();
    use_title(title);
    view! {
        <section class=class aria-labelledby=heading_id>
            <h1 id=heading_id>{move || i18n.t(title)}</h1>
            {lead.map(|lead| view! { <p class="lead">{move || i18n.t(lead)}</p> })}
            {children()}
        </section>
    }
}

/// A page of the settings: its card (`class`, `heading_id`, `title`, `lead`) with `form` for
/// the signed-in profile, then the links back (`back_link`).
pub fn settings_page<V: IntoView + 'static>(
    (class, heading_id): (&'static str, &'static str),
    title: T,
    lead: Option<T>,
    form: impl Fn(UserProfile) -> V + Clone + Send + Sync + 'static,
) -> impl IntoView {
    view! {
        <Card heading_id title lead class>
            {signed_in(form)}
            {back_link()}
        </Card>
    }
}

/// The links under a settings form: the settings, and back to the account.
pub fn back_link() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <p class="switch">
            <A href="/settings">{move || i18n.t(T::Settings)}</A> " · "
            <A href="/">{move || i18n.t(T::BackToAccount)}</A>
        </p>
    }
}

/// A labelled input with its hint and its error message (announced politely).
#[component]
pub fn TextField(
    field: Field,
    value: RwSignal<String>,
    errors: RwSignal<FieldErrors>,
    autocomplete: &'static str,
    #[prop(into, default = "text".into())] input_type: Signal<&'static str>,
    #[prop(optional)] inputmode: Option<&'static str>,
    #[prop(optional)] maxlength: Option<usize>,
    #[prop(optional)] with_hint: bool,
    /// Rendered after the input on the same row (a button).
    #[prop(optional)]
    children: Option<Children>,
) -> impl IntoView {
    let i18n = use_i18n();
    let id = field.name();
    let hint_id = format!("{id}-hint");
    let error_id = format!("{id}-error");
    let message = move || {
        let lang = i18n.get();
        errors.with(|e| {
            e.get(field)
                .map(|issue| i18n::issue_message(lang, field, issue))
        })
    };
    let invalid = move || errors.with(|e| e.get(field).is_some());
    let described_by = if with_hint {
        format!("{hint_id} {error_id}")
    } else {
        error_id.clone()
    };
    view! {
        <div class="field" class:invalid=invalid>
            <label for=id>{move || i18n::label(i18n.get(), field)}</label>
            <div class="input-row">
                <input
                    id=id
                    name=id
                    type=move || input_type.get()
                    autocomplete=autocomplete
                    inputmode=inputmode
                    maxlength=maxlength.map(|m| m.to_string())
                    autocapitalize="off"
                    spellcheck="false"
                    aria-invalid=move || if invalid() { "true" } else { "false" }
                    aria-describedby=described_by
                    prop:value=move || value.get()
                    on:input=move |ev| {
                        value.set(event_target_value(&ev));
                        if errors.with_untracked(|e| e.get(field).is_some()) {
                            errors.update(|e| e.remove(field));
                        }
                    }
                />
                {children.map(|c| c())}
            </div>
            {with_hint
                .then(|| {
                    view! {
                        <p id=hint_id class="hint">
                            {move || i18n::hint(i18n.get(), field)}
                        </p>
                    }
                })}
            <p id=error_id class="field-error" aria-live="polite">
                {message}
            </p>
        </div>
    }
}

/// A new password and its confirmation (ids `field` and `confirm_field`), with one show/hide
/// toggle for both. `shown` belongs to the page, so the choice survives the pair being
/// re-rendered (on `/reset` it sits inside the code step's `<Show>`).
#[component]
pub fn PasswordPair(
    field: Field,
    value: RwSignal<String>,
    confirm_field: Field,
    confirm: RwSignal<String>,
    errors: RwSignal<FieldErrors>,
    shown: RwSignal<bool>,
) -> impl IntoView {
    let i18n = use_i18n();
    let input_type = Signal::derive(move || if shown.get() { "text" } else { "password" });
    let controls = format!("{} {}", field.name(), confirm_field.name());
    view! {
        <TextField
            field
            value
            errors
            autocomplete="new-password"
            input_type
            with_hint=true
        >
            <button
                type="button"
                class="ghost"
                aria-controls=controls
                aria-pressed=move || shown.get().to_string()
                on:click=move |_| shown.update(|s| *s = !*s)
            >
                {move || i18n.t(if shown.get() { T::HidePassword } else { T::ShowPassword })}
            </button>
        </TextField>
        <TextField
            field=confirm_field
            value=confirm
            errors
            autocomplete="new-password"
            input_type
        />
    }
}

/// The submit button of a form: labelled `busy` and disabled while `pending`, `idle` otherwise.
#[component]
pub fn SubmitButton(
    id: &'static str,
    pending: Memo<bool>,
    idle: T,
    busy: T,
    #[prop(default = "primary")] class: &'static str,
) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <button id=id type="submit" class=class disabled=move || pending.get()>
            {move || i18n.t(if pending.get() { busy } else { idle })}
        </button>
    }
}

/// A button that runs `on_click` unless `pending`: disabled while `pending`, and labelled `busy`
/// meanwhile when there is such a label.
#[component]
pub fn PendingButton(
    #[prop(optional)] id: Option<&'static str>,
    class: &'static str,
    pending: Memo<bool>,
    idle: T,
    #[prop(optional)] busy: Option<T>,
    on_click: impl Fn() + Send + 'static,
) -> impl IntoView {
    pending_button(id, class, pending, idle, busy, on_click)
}

/// A [`PendingButton`] for `action`: pending while the action runs, a click dispatches
/// `input()`. With `clears`, that alert goes first (a new attempt starts without the last
/// one's error).
#[component]
pub fn ActionButton<I: Send + Sync + 'static>(
    #[prop(optional)] id: Option<&'static str>,
    #[prop(default = "secondary")] class: &'static str,
    action: Action<I, ()>,
    input: impl Fn() -> I + Send + 'static,
    #[prop(optional)] clears: Option<RwSignal<Option<Alert>>>,
    idle: T,
    #[prop(optional)] busy: Option<T>,
) -> impl IntoView {
    let on_click = move || {
        if let Some(alert) = clears {
            alert.set(None);
        }
        action.dispatch(input());
    };
    pending_button(id, class, action.pending(), idle, busy, on_click)
}

fn pending_button(
    id: Option<&'static str>,
    class: &'static str,
    pending: Memo<bool>,
    idle: T,
    busy: Option<T>,
    on_click: impl Fn() + Send + 'static,
) -> impl IntoView {
    let i18n = use_i18n();
    let label = move || match busy {
        Some(busy) if pending.get() => busy,
        _ => idle,
    };
    view! {
        <button
            id=id
            type="button"
            class=class
            disabled=move || pending.get()
            on:click=move |_| {
                if !pending.get_untracked() {
                    on_click();
                }
            }
        >
            {move || i18n.t(label())}
        </button>
    }
}

/// A live region that is always in the page (`role` `alert`: assertive, `status`: polite),
/// with `text` as a banner (`class`) when there is any.
fn live_banner(
    role: &'static str,
    class: &'static str,
    text: impl Fn() -> Option<String> + Send + 'static,
) -> impl IntoView {
    view! {
        <div class="live" role=role>
            {move || text().map(|text| view! { <p class=class>{text}</p> })}
        </div>
    }
}

/// The form-wide error, in an assertive live region that is always in the page.
#[component]
pub fn AlertRegion(alert: RwSignal<Option<Alert>>) -> impl IntoView {
    let i18n = use_i18n();
    live_banner("alert", "banner error", move || {
        let lang = i18n.get();
        alert.with(|a| a.as_ref().map(|a| i18n::alert_message(lang, a)))
    })
}

/// The one-time notice (`Flash`) a page was opened with, in a polite live region.
#[component]
pub fn NoticeRegion(notice: RwSignal<Option<Notice>>) -> impl IntoView {
    let i18n = use_i18n();
    live_banner("status", "banner success", move || {
        notice.with(|n| n.as_ref().map(|n| i18n::notice(i18n.get(), n)))
    })
}

/// Language buttons; the choice is remembered in `localStorage`.
#[component]
pub fn LangSwitch() -> impl IntoView {
    let i18n = use_i18n();
    let button = move |lang: Locale| {
        view! {
            <button
                type="button"
                lang=lang.tag()
                aria-pressed=move || if i18n.get() == lang { "true" } else { "false" }
                on:click=move |_| {
                    i18n.lang.set(lang);
                    session::save_lang(lang.tag());
                }
            >
                {i18n::native_name(lang)}
            </button>
        }
    };
    view! {
        <div class="lang-switch" role="group" aria-label=move || i18n.t(T::Language)>
            {Locale::ALL.into_iter().map(button).collect_view()}
        </div>
    }
}

/// The signed-in area's frame: the navigation (overview, devices, activity, security,
/// settings; behind a menu button on narrow screens) beside the page.
#[component]
pub fn AccountShell(children: Children) -> impl IntoView {
    use crate::activity::Section;
    let i18n = use_i18n();
    let location = leptos_router::hooks::use_location();
    let open = RwSignal::new(false);
    // A followed link closes the menu.
    Effect::new(move || {
        location.pathname.track();
        open.set(false);
    });
    let current = move || location.pathname.with(|p| Section::of(p));
    let link = move |section: Section| {
        let (label, id) = match section {
            Section::Overview => (T::Overview, "nav-overview"),
            Section::Devices => (T::Devices, "nav-devices"),
            Section::Activity => (T::ActivityTitle, "nav-activity"),
            Section::Security => (T::SecurityTitle, "nav-security"),
            // The id the main page's settings link always had (the tests follow it).
            Section::Settings => (T::Settings, "settings-link"),
        };
        view! {
            <li>
                <a
                    id=id
                    href=section.href()
                    aria-current=move || (current() == Some(section)).then_some("page")
                >
                    {move || i18n.t(label)}
                </a>
            </li>
        }
    };
    view! {
        <div class="account">
            <nav class="account-nav" aria-label=move || i18n.t(T::AccountNav)>
                <button
                    type="button"
                    class="ghost menu-toggle"
                    aria-controls="account-links"
                    aria-expanded=move || open.get().to_string()
                    on:click=move |_| open.update(|o| *o = !*o)
                >
                    {move || i18n.t(T::Menu)}
                </button>
                <ul id="account-links" class:open=move || open.get()>
                    {Section::ALL.into_iter().map(link).collect_view()}
                </ul>
            </nav>
            <div class="account-main">{children()}</div>
        </div>
    }
}

/// A time in words ("3분 전", "3 minutes ago"; the date past a month), with the exact local
/// time on hover and on keyboard focus (`title`).
#[component]
pub fn TimeAgo(
    /// RFC 3339.
    at: String,
) -> impl IntoView {
    let i18n = use_i18n();
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(&at));
    let ms = date.get_time();
    let exact = move || {
        if ms.is_nan() {
            return at.clone();
        }
        date.to_locale_string(i18n.get().tag(), &wasm_bindgen::JsValue::UNDEFINED)
            .as_string()
            .unwrap_or_default()
    };
    let words = move || {
        let lang = i18n.get();
        let secs = form::seconds_left(js_sys::Date::now(), ms);
        i18n::ago(lang, secs).unwrap_or_else(|| {
            js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms))
                .to_locale_date_string(lang.tag(), &wasm_bindgen::JsValue::UNDEFINED)
                .as_string()
                .unwrap_or_default()
        })
    };
    let iso = (!ms.is_nan()).then(|| {
        String::from(js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms)).to_iso_string())
    });
    view! {
        <time datetime=iso title=exact tabindex="0">
            {words}
        </time>
    }
}
