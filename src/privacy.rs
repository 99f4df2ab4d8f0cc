//! A customer's privacy requests, by their email address: everything held about them written out
//! as JSON (`helpdesk privacy export`), or their personal data erased (`helpdesk privacy erase`),
//! keeping the guide paths and the figures the insights count (docs/SECURITY.md, Privacy).

use crate::store::Store;
use crate::tickets::form::CustomerEmail;

/// Checks the address is one (so a typo does not report "nothing held").
fn address(email: &str) -> Result<String, String> {
    CustomerEmail::parse(email)
        .map(|_| email.trim().to_string())
        .map_err(|_| format!("{:?} is not an email address", email.trim()))
}

async fn open(database_url: &str) -> Result<Store, String> {
    Store::open(database_url)
        .await
        .map_err(|e| format!("cannot open the database: {e}"))
}

/// `helpdesk privacy export --email ADDR`: everything held about the customer, as JSON.
pub async fn export(database_url: &str, email: &str) -> Result<String, String> {
    let email = address(email)?;
    let store = open(database_url).await?;
    let record = store.customer_record(&email).await;
    store.close().await;
    let record = record.map_err(|e| format!("cannot read the database: {e}"))?;
    serde_json::to_string_pretty(&record).map_err(|e| format!("cannot write the record: {e}"))
}

/// `helpdesk privacy erase --email ADDR`: erases the customer's personal data; says how much.
pub async fn erase(database_url: &str, email: &str) -> Result<String, String> {
    let email = address(email)?;
    let store = open(database_url).await?;
    let erased = store.erase_customer(&email, None).await;
    store.close().await;
    let erased = erased.map_err(|e| format!("nothing was erased: {e}"))?;
    Ok(if erased.tickets == 0 {
        "no ticket holds that address; nothing was erased".to_string()
    } else {
        format!(
            "erased from {} ticket(s): contact details and description; {} message(s) or note(s) redacted; {} mail(s) to the customer",
            erased.tickets, erased.texts, erased.mails
        )
    })
}
