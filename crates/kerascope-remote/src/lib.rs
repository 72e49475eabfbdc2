//! Keras model files where they live: S3 (and S3-compatible stores), Google Cloud Storage,
//! Azure Blob Storage and plain HTTP(S), read by byte ranges through the `object_store`
//! crate. A [`RemoteObject`] is a [`kerascope::RangeRead`]: the library asks it for the few
//! ranges a parse needs, and it answers them from a cache of aligned blocks, each miss one
//! ranged GET for the whole run of missing blocks.
//!
//! Credentials, region and endpoint come from the environment, as `object_store`'s
//! builders read it (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`,
//! `AWS_ENDPOINT_URL`, `AWS_ALLOW_HTTP`; `GOOGLE_*`; `AZURE_*`). The library stays free of
//! network and async code: this crate owns the runtime, and blocks a worker thread on each
//! request.

mod location;
mod object;

use std::collections::HashMap;
use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::TryStreamExt;
use object_store::ObjectStore;
use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::azure::{AzureConfigKey, MicrosoftAzureBuilder};
use object_store::gcp::{GoogleCloudStorageBuilder, GoogleConfigKey};
use object_store::http::HttpBuilder;
use object_store::{BackoffConfig, ClientConfigKey, RetryConfig};

pub use location::{Location, Scheme, is_remote};
pub use object::RemoteObject;

/// How requests are made.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// One request's time limit (connection included); a request that times out is retried.
    pub request_timeout: Duration,
    /// Retries of a request that failed with a 5xx, a timeout or a broken connection.
    pub max_retries: usize,
    /// Give up retrying one request after this long.
    pub retry_timeout: Duration,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            request_timeout: Duration::from_secs(30),
            max_retries: 5,
            retry_timeout: Duration::from_secs(120),
        }
    }
}

/// Bytes received and requests made, counted as they happen (a progress bar reads them).
#[derive(Debug, Default)]
pub struct Counters {
    bytes: AtomicU64,
    requests: AtomicU64,
}

impl Counters {
    pub fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }

    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    fn add(&self, bytes: u64) {
        self.bytes.fetch_add(bytes, Ordering::Relaxed);
        self.requests.fetch_add(1, Ordering::Relaxed);
    }
}

/// An object found by listing a prefix.
#[derive(Debug, Clone)]
pub struct Listed {
    pub location: Location,
    pub size: u64,
}

/// The runtime and the stores (one per bucket, container or HTTP origin), shared by every
/// object read through it.
pub struct Client {
    runtime: tokio::runtime::Runtime,
    settings: Settings,
    stores: Mutex<HashMap<String, Arc<dyn ObjectStore>>>,
    /// Every request of every object read through this client.
    pub total: Arc<Counters>,
}

impl Client {
    pub fn new(settings: Settings) -> io::Result<Client> {
        // Requests wait on the network, not the CPU: two threads drive any number of them.
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("kerascope-remote")
            .enable_all()
            .build()?;
        Ok(Client {
            runtime,
            settings,
            stores: Mutex::default(),
            total: Arc::default(),
        })
    }

    /// The store that holds `location` (built once per bucket or origin).
    fn store(&self, location: &Location) -> io::Result<Arc<dyn ObjectStore>> {
        let root = location.store_url();
        let mut stores = self.stores.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(store) = stores.get(&root) {
            return Ok(store.clone());
        }
        let store = build_store(location, &self.settings)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, format!("{root}: {e}")))?;
        stores.insert(root, store.clone());
        Ok(store)
    }

    /// Opens one object (its size is asked of the store unless given, e.g. by a listing);
    /// its requests are counted in `counters`, even when opening fails.
    pub fn open(
        &self,
        location: &Location,
        size: Option<u64>,
        counters: Arc<Counters>,
    ) -> io::Result<RemoteObject> {
        RemoteObject::open(
            self.store(location)?,
            location.clone(),
            size,
            self.runtime.handle().clone(),
            (counters, self.total.clone()),
        )
    }

    /// Every object under a prefix (`s3://bucket/models/`, or a whole bucket), in key order.
    pub fn list(&self, prefix: &Location) -> io::Result<Vec<Listed>> {
        let store = self.store(prefix)?;
        let key = prefix.key();
        let listing = self.runtime.block_on(async {
            store
                .list((!key.as_ref().is_empty()).then_some(&key))
                .try_collect::<Vec<_>>()
                .await
        });
        let mut listed: Vec<Listed> = listing
            .map_err(object::io_error)?
            .into_iter()
            .map(|meta| Listed {
                location: prefix.with_key(meta.location.as_ref()),
                size: meta.size,
            })
            .collect();
        listed.sort_by_cached_key(|a| a.location.to_string());
        Ok(listed)
    }
}

fn build_store(
    location: &Location,
    settings: &Settings,
) -> object_store::Result<Arc<dyn ObjectStore>> {
    let retry = RetryConfig {
        backoff: BackoffConfig {
            init_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(5),
            base: 2.0,
        },
        max_retries: settings.max_retries,
        retry_timeout: settings.retry_timeout,
    };
    let timeout = format!("{}ms", settings.request_timeout.as_millis());
    let connect = format!("{}ms", settings.request_timeout.as_millis().min(10_000));
    let url = location.store_url();
    Ok(match location.scheme() {
        Scheme::S3 => Arc::new(
            AmazonS3Builder::from_env()
                .with_url(url)
                .with_retry(retry)
                .with_config(AmazonS3ConfigKey::Client(ClientConfigKey::Timeout), timeout)
                .with_config(
                    AmazonS3ConfigKey::Client(ClientConfigKey::ConnectTimeout),
                    connect,
                )
                .build()?,
        ),
        Scheme::Gcs => Arc::new(
            GoogleCloudStorageBuilder::from_env()
                .with_url(url)
                .with_retry(retry)
                .with_config(GoogleConfigKey::Client(ClientConfigKey::Timeout), timeout)
                .with_config(
                    GoogleConfigKey::Client(ClientConfigKey::ConnectTimeout),
                    connect,
                )
                .build()?,
        ),
        Scheme::Azure => Arc::new(
            MicrosoftAzureBuilder::from_env()
                .with_url(url)
                .with_retry(retry)
                .with_config(AzureConfigKey::Client(ClientConfigKey::Timeout), timeout)
                .with_config(
                    AzureConfigKey::Client(ClientConfigKey::ConnectTimeout),
                    connect,
                )
                .build()?,
        ),
        Scheme::Http { tls } => Arc::new(
            HttpBuilder::new()
                .with_url(url)
                .with_retry(retry)
                // A plain http:// URL was asked for by name.
                .with_config(ClientConfigKey::AllowHttp, (!tls).to_string())
                .with_config(ClientConfigKey::Timeout, timeout)
                .with_config(ClientConfigKey::ConnectTimeout, connect)
                .build()?,
        ),
    })
}
