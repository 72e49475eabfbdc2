//! Remote locations as users type them: `s3://bucket/key`, `gs://bucket/key`,
//! `az://container/key`, `https://host/path/model.keras`. A location ending in `/` (or a bare
//! bucket) is a prefix, listed and scanned like a folder.

use std::fmt;

use object_store::path::Path;
use url::Url;

/// Which kind of store holds a location.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// Amazon S3 and S3-compatible stores (`AWS_ENDPOINT_URL`).
    S3,
    /// Google Cloud Storage.
    Gcs,
    /// Azure Blob Storage (`az://`, `azure://`, `abfs[s]://`).
    Azure,
    /// Plain HTTP(S) honouring `Range`.
    Http { tls: bool },
}

/// Whether a command-line argument names a remote location rather than a local path.
pub fn is_remote(arg: &str) -> bool {
    let Some((scheme, rest)) = arg.split_once("://") else {
        return false;
    };
    !rest.is_empty() && scheme_of(&scheme.to_ascii_lowercase()).is_some()
}

fn scheme_of(scheme: &str) -> Option<Scheme> {
    Some(match scheme {
        "s3" | "s3a" => Scheme::S3,
        "gs" => Scheme::Gcs,
        "az" | "azure" | "abfs" | "abfss" => Scheme::Azure,
        "http" => Scheme::Http { tls: false },
        "https" => Scheme::Http { tls: true },
        _ => return None,
    })
}

/// One remote object or prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    scheme: Scheme,
    /// The store's own URL: `s3://bucket`, `https://host:port`.
    store: String,
    /// The object's key in the store, without a leading `/` (decoded).
    key: String,
    prefix: bool,
}

impl Location {
    /// Parses a remote location; the message names what is wrong.
    pub fn parse(text: &str) -> Result<Location, String> {
        let url = Url::parse(text).map_err(|e| format!("not a URL: {e}"))?;
        let scheme = scheme_of(url.scheme()).ok_or_else(|| {
            format!(
                "unsupported scheme {}:// (s3, gs, az, abfs, http and https are)",
                url.scheme()
            )
        })?;
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| "no bucket, container or host".to_string())?;
        let store = match scheme {
            Scheme::Http { .. } | Scheme::Azure if url.port().is_some() => {
                format!(
                    "{}://{host}:{}",
                    url.scheme(),
                    url.port().unwrap_or_default()
                )
            }
            // `abfss://container@account.dfs.core.windows.net/key`
            Scheme::Azure if !url.username().is_empty() => {
                format!("{}://{}@{host}", url.scheme(), url.username())
            }
            _ => format!("{}://{host}", url.scheme()),
        };
        if url.query().is_some() || url.fragment().is_some() {
            return Err("a query or fragment is not part of an object's name".into());
        }
        let key = Path::from_url_path(url.path())
            .map_err(|e| format!("bad object name: {e}"))?
            .to_string();
        let prefix = key.is_empty() || url.path().ends_with('/');
        Ok(Location {
            scheme,
            store,
            key,
            prefix,
        })
    }

    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// The URL of the store that holds this location (one store per bucket or origin).
    pub fn store_url(&self) -> String {
        self.store.clone()
    }

    /// The key as the store names it.
    pub fn key(&self) -> Path {
        Path::from(self.key.as_str())
    }

    /// Whether this names a prefix to list (a bare bucket, or a trailing `/`).
    pub fn is_prefix(&self) -> bool {
        self.prefix
    }

    /// Another object of the same store.
    pub fn with_key(&self, key: &str) -> Location {
        Location {
            scheme: self.scheme,
            store: self.store.clone(),
            key: key.trim_start_matches('/').to_string(),
            prefix: false,
        }
    }

    /// The object called `name` beside this one (a shard beside its index).
    pub fn sibling(&self, name: &str) -> Location {
        let key = match self.key.rsplit_once('/') {
            Some((folder, _)) => format!("{folder}/{name}"),
            None => name.to_string(),
        };
        self.with_key(&key)
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let slash = if self.prefix && !self.key.is_empty() {
            "/"
        } else {
            ""
        };
        write!(f, "{}/{}{slash}", self.store, self.key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remote_arguments_are_told_from_paths() {
        for remote in [
            "s3://bucket/key.keras",
            "S3://bucket/",
            "gs://b/k",
            "az://c/k",
            "abfss://c@acct.dfs.core.windows.net/k",
            "https://host/m.h5",
            "http://127.0.0.1:8000/m.h5",
        ] {
            assert!(is_remote(remote), "{remote}");
        }
        for local in [
            "model.keras",
            "./s3:/x",
            "s3://",
            "ftp://host/x",
            "C:\\models",
            "-",
        ] {
            assert!(!is_remote(local), "{local}");
        }
    }

    #[test]
    fn buckets_keys_and_prefixes() {
        let l = Location::parse("s3://models/team/a%20b.keras").unwrap();
        assert_eq!(
            (l.scheme(), l.store_url()),
            (Scheme::S3, "s3://models".into())
        );
        assert_eq!(l.key().as_ref(), "team/a b.keras");
        assert!(!l.is_prefix());
        assert_eq!(
            l.sibling("s.weights.h5").key().as_ref(),
            "team/s.weights.h5"
        );

        let p = Location::parse("s3://models/team/").unwrap();
        assert!(p.is_prefix());
        assert_eq!(p.key().as_ref(), "team");
        assert_eq!(p.to_string(), "s3://models/team/");
        assert_eq!(p.with_key("team/x.h5").to_string(), "s3://models/team/x.h5");

        let bucket = Location::parse("gs://models").unwrap();
        assert!(bucket.is_prefix());
        assert_eq!(bucket.key().as_ref(), "");
        assert_eq!(bucket.with_key("x.h5").to_string(), "gs://models/x.h5");

        let h = Location::parse("http://127.0.0.1:8123/dir/m.keras").unwrap();
        assert_eq!(h.scheme(), Scheme::Http { tls: false });
        assert_eq!(h.store_url(), "http://127.0.0.1:8123");
        assert_eq!(h.to_string(), "http://127.0.0.1:8123/dir/m.keras");
        assert_eq!(h.sibling("top.h5").key().as_ref(), "dir/top.h5");

        let a = Location::parse("abfss://c@acct.dfs.core.windows.net/m/x.h5").unwrap();
        assert_eq!(a.store_url(), "abfss://c@acct.dfs.core.windows.net");
        assert_eq!(a.key().as_ref(), "m/x.h5");
    }

    #[test]
    fn bad_locations_are_named() {
        assert!(
            Location::parse("ftp://h/x")
                .unwrap_err()
                .contains("unsupported")
        );
        assert!(
            Location::parse("https://h/x?sig=1")
                .unwrap_err()
                .contains("query")
        );
        assert!(Location::parse("not a url").is_err());
    }
}
