/// An issue-13-like rule pack (code-repository exfiltration), for the benchmark only: the
/// shipped pack lives in Pipelines/rules/ (written separately).
enum BenchPack {
    static let yaml = """
    title: Git clone with a personal access token
    name: bench_pat_clone
    logsource: {product: github, service: audit}
    detection:
        sel:
            action: git.clone
            programmatic_access_type: ['Personal access token (classic)', 'Fine-grained personal access token', 'OAuth access token']
        condition: sel
    ---
    title: Mass cloning of repositories with a personal access token
    name: bench_pat_mass_clone
    level: medium
    tags: [attack.exfiltration, attack.t1567.001]
    correlation: {type: value_count, rules: [bench_pat_clone], group-by: [actor], timespan: 10m, condition: {field: repo, gte: 10}}
    sluice:
        family: github
        coalesce: {actor: [user.name, github.hashed_token]}
        allowlist:
            - user.name: [release-bot]
        tiers: [{gte: 10, level: medium}, {gte: 25, level: high}, {gte: 50, level: critical}]
        escalate:
            - when: {threat.enrichments.category: [tor_exit, malicious, residential_proxy]}
              steps: 1
              tiers: [{gte: 5, level: medium}]
            - after_rule: bench_token_new_origin
              same: {github.hashed_token: github.hashed_token}
              within: 2h
              steps: 1
    ---
    title: Any git clone
    name: bench_any_clone
    logsource: {product: github, service: audit}
    detection: {sel: {action: git.clone}, condition: sel}
    ---
    title: Bulk cloning by any credential
    name: bench_bulk_clone
    correlation: {type: value_count, rules: [bench_any_clone], group-by: [user.name], timespan: 10m, condition: {field: repo, gte: 25}}
    sluice:
        family: github
        selections:
            bot: {user.name|endswith: ['[bot]', '-app']}
        tiers:
            - {gte: 25, level: medium}
            - {gte: 60, level: high}
            - {when: bot, gte: 100, level: medium}
            - {when: bot, baseline: 3, gte: 30, level: medium}
    ---
    title: Archive download
    name: bench_archive_download
    logsource: {product: github, service: audit}
    detection: {sel: {action: repo.download_zip}, condition: sel}
    ---
    title: Mass archive download
    name: bench_archive_mass
    correlation: {type: value_count, rules: [bench_archive_download], group-by: [user.name], timespan: 30m, condition: {field: repo, gt: 5}}
    sluice: {family: github, tiers: [{gt: 5, level: medium}, {gte: 15, level: high}]}
    ---
    title: Token granted
    name: bench_token_granted
    logsource: {product: github, service: audit}
    detection: {sel: {action: [personal_access_token.access_granted, personal_access_token.request_created, oauth_authorization.create]}, condition: sel}
    ---
    title: Private clone
    name: bench_private_clone
    logsource: {product: github, service: audit}
    detection: {sel: {action: git.clone, repository_public: 'false'}, condition: sel}
    ---
    title: Private clones
    name: bench_private_clones
    correlation: {type: value_count, rules: [bench_private_clone], group-by: [user.name], timespan: 30m, condition: {field: repo, gt: 5}}
    ---
    title: Token granted then bulk clone
    name: bench_token_then_clone
    level: high
    correlation: {type: temporal_ordered, rules: [bench_token_granted, bench_private_clones], group-by: [user.name], timespan: 30m}
    sluice: {family: github, escalate: [{differs: source.ip, steps: 1}]}
    ---
    title: Token used from a new ASN or a secret scanner
    name: bench_token_new_origin
    level: low
    logsource: {product: github, service: audit}
    detection: {sel: {hashed_token|exists: true}, condition: sel}
    sluice:
        family: github
        first_seen: {entity: [github.hashed_token], values: [source.as.number]}
    ---
    title: Repository exposure
    name: bench_repo_exposure
    level: high
    logsource: {product: github, service: audit}
    detection:
        public: {action: repo.access, visibility: public}
        transfer: {action: [repo.transfer, org.transfer, migration.create]}
        condition: 1 of them
    sluice: {family: github}
    ---
    title: Upload volume to code repositories
    name: bench_upload_volume
    level: medium
    logsource: {category: proxy}
    detection: {sel: {cs-host|endswith: [github.com, gitlab.com, bitbucket.org, githubusercontent.com]}, condition: sel}
    sluice:
        family: network
        baseline: {entity: [host.name], value: source.bytes, bucket: 1h, k: 3, floor: 100MiB, ratio: {field: destination.bytes, min: 5}}
        tiers: [{gte: 100MiB, level: medium}, {gte: 1GiB, level: high}]
    ---
    title: Repository domain first seen for a host
    name: bench_repo_domain_first_seen
    level: low
    logsource: {category: dns}
    detection: {sel: {query|endswith: [github.com, gitlab.com, bitbucket.org]}, condition: sel}
    sluice:
        family: network
        first_seen: {entity: [host.name], values: [dns.question.name]}
    ---
    title: Archive staging
    name: bench_archive_staging
    logsource: {category: process_creation, product: linux}
    detection:
        tar: {Image|endswith: /tar, CommandLine|contains: [' -c', ' --create']}
        zip: {Image|endswith: [/zip, /7z, /rar], CommandLine|contains: [' a ', ' -r ']}
        split: {Image|endswith: /split, CommandLine|contains: ' -b '}
        condition: 1 of them
    ---
    title: Upload from a host
    name: bench_upload
    logsource: {category: process_creation, product: linux}
    detection:
        git: {Image|endswith: /git, CommandLine|contains: ' push'}
        gh: {Image|endswith: /gh, CommandLine|contains: [' repo create', ' release upload', ' gist create']}
        curl: {Image|endswith: [/curl, /wget], CommandLine|contains: [api.github.com, uploads.github.com, gitlab.com/api]}
        condition: 1 of them
    ---
    title: Archive staging then upload
    name: bench_staging_then_upload
    level: medium
    correlation: {type: temporal_ordered, rules: [bench_archive_staging, bench_upload], group-by: [host.name], timespan: 30m}
    sluice: {family: endpoint}
    ---
    title: Push to an unsanctioned repository
    name: bench_push_unsanctioned
    level: medium
    logsource: {category: process_creation, product: linux}
    detection:
        push: {Image|endswith: /git, CommandLine|contains: [' push', ' remote add', ' remote set-url']}
        sanctioned: {CommandLine|contains: [github.com/acme/, github.com:acme/, git.acme.example]}
        condition: push and not sanctioned
    sluice: {family: endpoint, suppress: {for: 1h, by: [host.name]}}
    ---
    title: Any family alert
    name: bench_family_alert
    logsource: {product: sluice, service: alert}
    detection: {sel: {sluice.family|exists: true}, condition: sel}
    ---
    title: Exfiltration chain across families
    name: bench_exfil_chain
    correlation: {type: value_count, rules: [bench_family_alert], group-by: [identity], timespan: 2h, condition: {field: sluice.family, gte: 2}}
    sluice:
        coalesce: {identity: [sluice.identity.name, related.user]}
        tiers: [{gte: 2, level: high}, {gte: 3, level: critical}]
    """
}
