//! Every store on a three-node Redis Cluster, through the cluster client: no
//! script spans two slots (no `CROSSSLOT`), and keys spread over the nodes.

use std::sync::Arc;
use std::time::Duration;

use portcullis::jose::dpop::{ReplayKey, Seen};
use portcullis::ratelimit::lockout::LoginGuard;
use portcullis::ratelimit::{FixedWindow, Gcra, Rate, SlidingLog, SlidingWindow, TokenBucket};
use portcullis::token::{TokenError, TokenKind, TokenService};
use portcullis_redis::test_server::Cluster;
use portcullis_redis::{BlockingStores, Error, RedisStores, Selector};
use serde_json::json;

use crate::support::ready;
use crate::{admitted, now, nz, options, runtime, tokens};

#[test]
fn every_store_works_on_a_three_node_cluster() {
    let cluster = ready(Cluster::start());
    let urls = cluster.urls();
    let nodes: Vec<&str> = urls.iter().map(String::as_str).collect();
    let rt = runtime();
    let stores = rt
        .block_on(RedisStores::connect_cluster(&nodes, options("c:")))
        .expect("cluster stores");
    rt.block_on(async {
        // Rate limits, all five algorithms, four instances racing on each key.
        let mut racing = vec![stores.clone()];
        for _ in 0..3 {
            racing.push(
                RedisStores::connect_cluster(&nodes, options("c:"))
                    .await
                    .expect("cluster stores"),
            );
        }
        assert_eq!(admitted::<Gcra>(&racing, 200, 8, 60).await, 200);
        assert_eq!(admitted::<TokenBucket>(&racing, 150, 8, 60).await, 150);
        assert_eq!(admitted::<FixedWindow>(&racing, 120, 8, 60).await, 120);
        assert_eq!(admitted::<SlidingWindow>(&racing, 110, 8, 60).await, 110);
        assert_eq!(admitted::<SlidingLog>(&racing, 100, 8, 60).await, 100);
        // Many clients: their keys land on every node.
        let rate = Rate::new(nz(5), nz(60));
        for client in 0..64 {
            stores
                .rate_limit::<Gcra>(&format!("ip:203.0.113.{client}"), "spread", &rate, now(), 1)
                .await
                .expect("a decision");
        }

        // Lockout.
        let guard = LoginGuard::default();
        for _ in 0..3 {
            stores
                .record_login_failure(&guard, "alice", "ip:192.0.2.1", now())
                .await
                .expect("recorded");
        }
        let states = stores
            .login_states("alice", "ip:192.0.2.1")
            .await
            .expect("states");
        assert_eq!(states.pair.map(|s| s.failures()), Some(3));
        assert_eq!(states.account.map(|s| s.failures()), Some(3));

        // Revocation: concurrent refreshes, one winner, the family revoked.
        let tokens = Arc::new(tokens());
        let pair = tokens.issue_pair("42", &json!({}), now()).expect("a pair");
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let (stores, tokens, refresh) =
                    (stores.clone(), tokens.clone(), pair.refresh.clone());
                tokio::spawn(async move { stores.refresh(&tokens, &refresh, now()).await })
            })
            .collect();
        let mut winners = 0;
        for task in tasks {
            if task.await.expect("joined").is_ok() {
                winners += 1;
            }
        }
        assert_eq!(winners, 1);
        assert_eq!(
            stores
                .verify(&tokens, &pair.access, TokenKind::Access, now())
                .await,
            Err(TokenError::Blacklisted)
        );
        // Logout everywhere.
        let other = tokens.issue_pair("43", &json!({}), now()).expect("a pair");
        stores
            .revoke_user_before(&tokens, "43", now())
            .await
            .expect("revoked");
        assert_eq!(
            stores
                .verify(&tokens, &other.access, TokenKind::Access, now())
                .await,
            Err(TokenError::Blacklisted)
        );

        // Operator access: a client's keys share one node, where the scan runs.
        let user = Selector {
            client: Some("user:42"),
            scope: None,
        };
        let listed = stores.list_keys(user).await.expect("listed");
        assert_eq!(listed.len(), 5, "one key per algorithm: {listed:?}");
        let network = Selector {
            client: Some("ip:192.0.2.1"),
            scope: None,
        };
        assert_eq!(stores.list_keys(network).await.expect("listed").len(), 2);
        let one = Selector {
            client: Some("ip:203.0.113.7"),
            scope: Some("spread"),
        };
        assert_eq!(stores.clear_keys(one).await.expect("cleared").len(), 1);
        assert!(matches!(
            stores.list_keys(Selector::default()).await,
            Err(Error::Config { .. })
        ));

        // DPoP replay.
        let key = ReplayKey::new("jkt", "jti");
        let until = now().checked_add(Duration::from_secs(60)).expect("a time");
        assert_eq!(
            stores.check_replay(&key, until, now()).await.expect("ok"),
            Seen::First
        );
        assert_eq!(
            stores.check_replay(&key, until, now()).await.expect("ok"),
            Seen::Again
        );
    });

    // The blocking flavour on the same cluster.
    let blocking = BlockingStores::connect_cluster(&nodes, options("c:")).expect("stores");
    let service = TokenService::new(tokens(), &blocking);
    let pair = service.issue_pair("44", &json!({}), now()).expect("a pair");
    service
        .refresh(&pair.refresh, now())
        .expect("first refresh");
    assert_eq!(
        service.refresh(&pair.refresh, now()),
        Err(TokenError::Reused)
    );

    // Every node holds some of the keys: the cluster client really routed them.
    for url in &urls {
        let mut conn = redis::Client::open(url.as_str())
            .and_then(|c| c.get_connection())
            .expect("a node connection");
        let size: u64 = redis::cmd("DBSIZE").query(&mut conn).expect("dbsize");
        assert!(size > 0, "{url} holds no key");
    }
    // Redis computes the slots this crate's layout promises (hash tags).
    let layout = blocking.stores().options().layout();
    let [pair_key, ip_key, _] = layout.lockout("alice", "ip:192.0.2.1");
    assert_eq!(
        ready(cluster.keyslot(&pair_key)),
        ready(cluster.keyslot(&ip_key))
    );
    assert_eq!(
        ready(cluster.keyslot(&layout.rate_limit("user:42", "a"))),
        ready(cluster.keyslot(&layout.rate_limit("user:42", "b")))
    );
}
