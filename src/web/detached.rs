//! Work a request starts that must run to its end even when the request does not. actix drops a
//! request's future when the client resets the connection, and drops a page's other extractors
//! as soon as one of them refuses; a failed password that was checked must still be counted and
//! recorded, an ended session still recorded.

use std::future::Future;

/// Runs `work` on a task of its own and waits for its result. If the caller is dropped, the task
/// still runs to its end. A panic in `work` is passed on to the caller; an error means the
/// runtime is shutting down.
pub async fn to_the_end<F>(work: F) -> anyhow::Result<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    match tokio::spawn(work).await {
        Ok(output) => Ok(output),
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(e) => Err(anyhow::anyhow!("detached work cancelled: {e}")),
    }
}
