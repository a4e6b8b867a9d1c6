use crate::components::use_title;
use crate::i18n::{use_i18n, T};
use leptos::prelude::*;
use leptos_router::components::A;

#[component]
pub fn NotFoundPage() -> impl IntoView {
    let i18n = use_i18n();
    use_title(T::NotFoundTitle);
    view! {
        <section class="card">
            <h1>{move || i18n.t(T::NotFoundTitle)}</h1>
            <p>
                <A href="/">{move || i18n.t(T::GoHome)}</A>
            </p>
        </section>
    }
}
