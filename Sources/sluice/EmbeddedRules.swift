// Generated from Pipelines/rules/*.yml by `make embed`; `make test` checks they match.
/// The shipped rule pack (Pipelines/rules/), built into the binary: the rule path `builtin`.
enum EmbeddedRules {
    static let files: [(file: String, yaml: String)] = [
        ("archive_staging_then_upload.yml", ##"""
# Archive staging on a host, then an upload to a code repository from it (DET0318 AN0896).
#
# Needs: endpoint process telemetry (auditd EXECVE with `-a always,exit -F arch=b64 -S execve`,
# Sysmon for Linux or osquery process events) with the login session (`auid`: user.audit.id);
# optionally a proxy log with the repo_services and context enrichers, so that uploads the
# endpoint log does not name (a script's HTTPS upload) count too, and the asset's role.
title: Archive staging in a login session
id: 25bd3526-d556-46fa-b035-9e1b2c47f91f
name: endpoint_archive_staging
status: stable
description: >-
    An archive or split created in a login session (auditd auid set): tar creating (-c,
    --create, c... as first word), zip, 7z/rar a, split -b, gzip -k. Services without a login
    session (CI runners, Jenkins, backups) are not counted. Used by archive_staging_then_upload.
author: Sluice
date: 2025-12-03
logsource:
    category: process_creation
    product: linux
detection:
    tar_create:
        Image|endswith: /tar
        CommandLine|re: '^\S*tar\s+(c[A-Za-z]*\s|(.*\s)?(-[A-Za-z]*c[A-Za-z]*|--create)(\s|=|$))'
    zip:
        Image|endswith: [/zip, /zipcloak]
    seven_zip_rar:
        Image|endswith: [/7z, /7za, /7zz, /7zr, /rar]
        CommandLine|re: '^\S+\s+a\s'
    split:
        Image|endswith: /split
        CommandLine|re: '\s(-b\s*\S+|--bytes[= ]\S+)'
    gzip_keep:
        Image|endswith: [/gzip, /pigz]
        CommandLine|re: '\s(-[A-Za-z]*k[A-Za-z]*|--keep)(\s|$)'
    decompress:
        CommandLine|re: '\s(-[A-Za-z]*d[A-Za-z]*|--decompress)(\s|$)'
    login_session:
        user.audit.id|exists: true
    condition: login_session and (tar_create or zip or seven_zip_rar or split or (gzip_keep and not decompress))
falsepositives:
    - none on its own (a building block)
level: informational
---
title: Upload to a code repository from a host
id: dca74adb-908f-49c3-9bd0-a6bf88bd0748
name: host_repo_upload
status: stable
description: >-
    A process on a host pushing or uploading to a code repository (git push; gh repo create,
    gh release upload|create, gh gist create; curl or wget sending data to a repository API),
    or a push or upload the proxy saw from the host. Used by archive_staging_then_upload.
author: Sluice
date: 2025-12-03
logsource:
    category: process_creation
    product: linux
detection:
    git_push:
        Image|endswith: /git
        CommandLine|re: '^\S*git(\s+(-[Cc]\s+\S+|--\S+|-\S+))*\s+push(\s|$)'
    gh_upload:
        Image|endswith: /gh
        CommandLine|re: '^\S*gh\s+(repo\s+create|release\s+(upload|create)|gist\s+create)(\s|$)'
    http_client:
        Image|endswith: [/curl, /wget]
    repository_api:
        CommandLine|contains:
            - api.github.com
            - uploads.github.com
            - gitlab.com/api/
            - api.bitbucket.org
            - dev.azure.com/
    sends_data:
        CommandLine|re: '\s(-T|--upload-file|-d|--data|--data-binary|--data-raw|--data-urlencode|-F|--form|--post-file|--post-data|--body-file|-X\s*(POST|PUT|PATCH)|--request[= ](POST|PUT|PATCH)|--method[= ](POST|PUT|PATCH))(\s|=|$)'
    proxy_push_or_upload:
        sluice.repo_service.operation: [push, upload]
    proxy_upload_tunnel:
        http.request.method: CONNECT
        sluice.repo_service.endpoint: upload
    condition: git_push or gh_upload or (http_client and repository_api and sends_data) or proxy_push_or_upload or proxy_upload_tunnel
falsepositives:
    - none on its own (a building block)
level: informational
sluice:
    also_logsources:
        - category: proxy
---
title: Archive staging followed by an upload to a code repository
id: 12018dc6-9054-462d-a80f-4f7670486042
name: archive_staging_then_upload
status: stable
description: >-
    Archive staging, then an upload to a code repository, on one host.
    On one host, within 30 minutes and in this order: an archive staged in a login session
    (tar -c, zip, 7z a, rar a, split -b, gzip -k), then an upload to a code repository (git
    push, gh repo create or release upload, curl/wget to a repository API, or a push or upload
    the proxy saw from the host): medium. High on a server or admin jump host, or when the
    archive took credentials (.ssh, .aws/credentials, .kube/config, ...). This is DET0318's
    Linux analytic: package files, then send them to a code repository.
author: Sluice
date: 2025-12-03
references:
    - https://attack.mitre.org/detectionstrategies/DET0318/
    - https://attack.mitre.org/techniques/T1560/001/
    - https://attack.mitre.org/techniques/T1074/001/
    - https://attack.mitre.org/techniques/T1567/001/
tags:
    - attack.collection
    - attack.t1560.001
    - attack.t1074.001
    - attack.exfiltration
    - attack.t1567.001
    - attack.t1030
falsepositives:
    - A developer packaging a release by hand and publishing it with gh release upload
    - Archiving a project before pushing it to a new repository of the company (sanctioned)
level: medium
correlation:
    type: temporal_ordered
    rules:
        - endpoint_archive_staging
        - host_repo_upload
    group-by:
        - host.name
    timespan: 30m
sluice:
    family: endpoint
    placeholders:
        archive_upload_allowlist_hosts: []
    allowlist:
        - host.name|expand: '%archive_upload_allowlist_hosts%'
    selections:
        server_or_credentials:
            - sluice.asset.role: [server, admin_jump]
            - process.command_line|contains:
                  - .ssh/
                  - /.ssh
                  - .aws/credentials
                  - .kube/config
                  - .git-credentials
                  - .netrc
                  - .docker/config.json
                  - .gnupg
    escalate:
        - when: server_or_credentials
          steps: 1
"""##),
        ("github_bulk_clone.yml", ##"""
# Bulk cloning of repositories by any credential (SSH keys, GitHub App tokens, OAuth apps,
# personal access tokens).
#
# Needs: the GitHub audit log (git events). Bots and GitHub Apps (actors ending in `[bot]`, or
# clones with a GitHub App server-to-server token) have their own thresholds: 100 distinct
# repositories, or 3 times their learned p95 (over the 10-minute windows in which they cloned
# during the learning period, 72h by default) and at least 25. The allowlists are those of
# github_pat_mass_clone (placeholders github_clone_allowlist_actors, _tokens, _cidrs).
title: Git clone by any credential
id: fc53fbee-7d78-4b3c-848c-aacf91bbd61d
name: github_any_clone
status: stable
description: A git clone in the GitHub audit log, whatever the credential. Counted by github_bulk_clone.
author: Sluice
date: 2025-12-03
logsource:
    product: github
    service: audit
detection:
    clone:
        action: git.clone
    condition: clone
falsepositives:
    - none on its own (a building block)
level: informational
---
title: Bulk cloning of repositories
id: 7cc9a4e4-f053-4407-bad2-35c8b5c04cc5
name: github_bulk_clone
status: stable
description: >-
    Many repositories cloned by one GitHub actor within 10 minutes, whatever the credential.
    One GitHub actor cloned many distinct repositories within 10 minutes, whatever the
    credential: 25 or more is medium, 60 high. Bots and GitHub Apps are held to their own
    history instead: 100 repositories, or 3 times their learned p95 (and at least 25). A
    token that github_token_new_origin flagged within 2 hours raises the severity one step.
    Complements github_pat_mass_clone where the copy is made with an SSH key or an app token.
author: Sluice
date: 2025-12-03
references:
    - https://attack.mitre.org/techniques/T1213/003/
    - https://attack.mitre.org/detectionstrategies/DET0318/
    - https://docs.github.com/en/enterprise-cloud@latest/admin/monitoring-activity-in-your-enterprise/reviewing-audit-logs-for-your-enterprise/audit-log-events-for-your-enterprise
tags:
    - attack.collection
    - attack.t1213.003
    - attack.exfiltration
    - attack.t1567.001
falsepositives:
    - A new hire or a new laptop cloning every repository of the team at once (bursts stay below 25 in 10 minutes when cloned by hand)
    - A migration or dependency audit by a person (allowlist the actor for the period)
    - A CI app whose workload grew threefold (raise the bot threshold or wait for it to be learned)
level: medium
correlation:
    type: value_count
    rules:
        - github_any_clone
    group-by:
        - actor
    timespan: 10m
    condition:
        field: repo
        gte: 25
sluice:
    family: github
    coalesce:
        actor: [user.name, github.hashed_token]
    placeholders:
        github_clone_allowlist_actors: []
        github_clone_allowlist_tokens: []
        github_clone_allowlist_cidrs: []
    allowlist:
        - user.name|expand: '%github_clone_allowlist_actors%'
        - github.hashed_token|expand|cased: '%github_clone_allowlist_tokens%'
        - source.ip|expand|cidr: '%github_clone_allowlist_cidrs%'
    selections:
        app_actor:
            - user.name|endswith: '[bot]'
            - github.programmatic_access_type: GitHub App server-to-server token
    baseline_windows: active
    tiers:
        - {gte: 25, level: medium}
        - {gte: 60, level: high}
        - {when: app_actor, gte: 100, level: medium}
        - {when: app_actor, gte: 25, baseline: 3, level: medium}
    escalate:
        - after_rule: github_token_new_origin
          same: {github.hashed_token: github.hashed_token}
          within: 2h
          steps: 1
"""##),
        ("github_new_repo_push.yml", ##"""
# A repository created and pushed to with a token within minutes (self-propagating worms).
#
# Needs: the GitHub audit log (repo.create and git events).
title: Repository created with a token
id: 219d52d7-7c70-4584-a072-e5a1021355f5
name: github_repo_created_with_token
status: stable
description: A repository created through the API with a token (the event carries a hashed token). Used by github_new_repo_push.
author: Sluice
date: 2025-12-03
logsource:
    product: github
    service: audit
detection:
    create:
        action: repo.create
        hashed_token|exists: true
    condition: create
falsepositives:
    - none on its own (a building block)
level: informational
---
title: Push with a token
id: 27111b7d-6651-4384-a7e1-dcb2991b3c4d
name: github_push_with_token
status: stable
description: A git push authenticated with a token. Used by github_new_repo_push.
author: Sluice
date: 2025-12-03
logsource:
    product: github
    service: audit
detection:
    push:
        action: git.push
        hashed_token|exists: true
    condition: push
falsepositives:
    - none on its own (a building block)
level: informational
---
title: New repository created and pushed to with a token
id: c19e53bc-9c62-40c6-b2b2-8e060ed07646
name: github_new_repo_push
status: stable
description: >-
    A repository created and pushed to with a token within minutes.
    A repository was created with a token and pushed to with a token within 15 minutes:
    medium. High when the repository was created public or is named like a known campaign
    (Shai-Hulud, s1ngularity). Self-propagating supply-chain worms publish the secrets they
    find to a fresh repository of the victim's account this way, seconds after creating it.
author: Sluice
date: 2025-12-03
references:
    - https://attack.mitre.org/techniques/T1567/001/
    - https://attack.mitre.org/techniques/T1195/002/
    - https://www.cisa.gov/news-events/alerts/2025/09/23/widespread-supply-chain-compromise-impacting-npm-ecosystem
tags:
    - attack.exfiltration
    - attack.t1567.001
    - attack.initial_access
    - attack.t1195.002
falsepositives:
    - Project scaffolding tools and templates that create a repository and push the first commit (gh repo create --push, Terraform, Backstage); allowlist their tokens
level: medium
correlation:
    type: temporal_ordered
    rules:
        - github_repo_created_with_token
        - github_push_with_token
    group-by:
        - repo
    timespan: 15m
sluice:
    family: github
    placeholders:
        github_campaign_repo_names: ['*shai-hulud*', '*sha1-hulud*', '*s1ngularity*']
        github_new_repo_allowlist_tokens: []
    allowlist:
        - github.hashed_token|expand|cased: '%github_new_repo_allowlist_tokens%'
    selections:
        public_or_campaign:
            - event.action: repo.create
              github.visibility: public
            - github.repo|expand: '%github_campaign_repo_names%'
    escalate:
        - when: public_or_campaign
          steps: 1
"""##),
        ("github_pat_mass_clone.yml", ##"""
# Mass cloning of repositories with a personal access token (Datadog Cloud SIEM def-000-38f).
#
# Needs: the GitHub audit log (git events: enable "Git events" in the enterprise audit-log
# stream); threat intel (`type: threat_intel`) for the escalation by actor address.
# Tune without editing this file, in the detect transform's `placeholders:` option:
#   github_pat_access_types        which credentials count (drop 'OAuth access token' to count
#                                  only personal access tokens)
#   github_clone_allowlist_actors  GitHub logins of reviewed automation (e.g. a release bot)
#   github_clone_allowlist_tokens  their hashed tokens (`hashed_token`, base64 SHA-256)
#   github_clone_allowlist_cidrs   addresses they clone from (e.g. a CI egress /32)
# The allowlists are shared with github_bulk_clone.
title: Git clone with a personal access token
id: 3924428b-e674-45ba-a0bb-7b077b9b6d1f
name: github_pat_clone
status: stable
description: >-
    A git clone in the GitHub audit log authenticated with a personal access token (classic or
    fine-grained), or with an OAuth access token, the name classic tokens carry in older audit
    data. Counted by github_pat_mass_clone; it does not alert on its own.
author: Sluice
date: 2025-12-03
references:
    - https://docs.datadoghq.com/security/default_rules/def-000-38f/
logsource:
    product: github
    service: audit
detection:
    clone:
        action: git.clone
        programmatic_access_type|expand: '%github_pat_access_types%'
    condition: clone
falsepositives:
    - none on its own (a building block)
level: informational
sluice:
    placeholders:
        github_pat_access_types:
            - Personal access token (classic)
            - Fine-grained personal access token
            - OAuth access token
---
title: Mass cloning of repositories with a personal access token
id: ab14f18e-5d4c-4ec0-a044-2e8afb1a5d12
name: github_pat_mass_clone
status: stable
description: >-
    Many repositories cloned with one personal access token within 10 minutes.
    Distinct repositories cloned with a personal access token per GitHub actor (the hashed
    token when the actor is empty) in a sliding 10 minutes: 10 or more is medium, 25 high, 50
    critical. A clone from an address that threat intelligence lists as a Tor exit, malicious
    or a residential proxy raises the severity one step and makes 5 repositories enough for
    high; github_token_new_origin alerting for the same token within 2 hours raises it one
    step too. Stolen
    tokens are used this way to copy a whole organization's source code. Automation is
    allowlisted only by explicit configuration (actor, hashed token or CIDR), never by an
    actor_is_bot flag, which audit logs do not set reliably.
author: Sluice
date: 2025-12-03
references:
    - https://docs.datadoghq.com/security/default_rules/def-000-38f/
    - https://attack.mitre.org/techniques/T1213/003/
    - https://attack.mitre.org/detectionstrategies/DET0318/
tags:
    - attack.collection
    - attack.t1213.003
    - attack.exfiltration
    - attack.t1567.001
falsepositives:
    - Release or migration automation that clones many repositories with a machine user's token (allowlist it by actor, hashed token or CIDR)
    - A developer setting up a new machine with a token instead of SSH
level: medium
correlation:
    type: value_count
    rules:
        - github_pat_clone
    group-by:
        - actor
    timespan: 10m
    condition:
        field: repo
        gte: 10
sluice:
    family: github
    coalesce:
        actor: [user.name, github.hashed_token]
    placeholders:
        github_clone_allowlist_actors: []
        github_clone_allowlist_tokens: []
        github_clone_allowlist_cidrs: []
    allowlist:
        - user.name|expand: '%github_clone_allowlist_actors%'
        - github.hashed_token|expand|cased: '%github_clone_allowlist_tokens%'
        - source.ip|expand|cidr: '%github_clone_allowlist_cidrs%'
    selections:
        risky_address:
            threat.enrichments.category: [tor_exit, malicious, residential_proxy]
    tiers:
        - {gte: 10, level: medium}
        - {gte: 25, level: high}
        - {gte: 50, level: critical}
    escalate:
        - when: risky_address
          steps: 1
          tiers:
              - {gte: 5, level: medium}    # raised one step: 5 repositories from such an address are high
        - after_rule: github_token_new_origin
          same: {github.hashed_token: github.hashed_token}
          within: 2h
          steps: 1
"""##),
        ("github_repo_exposure.yml", ##"""
# A repository or organization exposed outside the company.
#
# Needs: the GitHub audit log.
title: Repository or organization exposed outside the company
id: 8f20695b-77af-4b15-b243-5f7682be4eb2
name: github_repo_exposure
status: stable
description: >-
    A repository or organization exposed outside the company.
    A private or internal repository made public, a repository or organization transferred
    out or a migration (export) created: high. Forking of private repositories enabled for
    the organization: medium (forks can leave with their owners).
author: Sluice
date: 2025-12-03
references:
    - https://attack.mitre.org/techniques/T1567/001/
    - https://attack.mitre.org/techniques/T1537/
    - https://docs.github.com/en/enterprise-cloud@latest/admin/monitoring-activity-in-your-enterprise/reviewing-audit-logs-for-your-enterprise/audit-log-events-for-your-enterprise
tags:
    - attack.exfiltration
    - attack.t1567.001
    - attack.t1537
falsepositives:
    - Open-sourcing a project through the usual review (link the ticket and close)
    - Reorganizing repositories between the company's own organizations
level: medium
logsource:
    product: github
    service: audit
detection:
    visibility_change:
        action: repo.access
        visibility: public
    was_public:
        previous_visibility: public
    transfer:
        action:
            - repo.transfer
            - repo.transfer_outgoing
            - org.transfer
            - migration.create
    forking_enabled:
        action: private_repository_forking.enable
    condition: (visibility_change and not was_public) or transfer or forking_enabled
sluice:
    family: github
    selections:
        exposed:
            - action: repo.access
              visibility: public
            - action: [repo.transfer, repo.transfer_outgoing, org.transfer, migration.create]
    escalate:
        - when: exposed
          steps: 1
    suppress:
        for: 1h
        by: [org, repo]
"""##),
        ("github_token_new_origin.yml", ##"""
# A GitHub token used from an origin never seen for it, or by a secret scanner.
#
# Needs: the GitHub audit log (events carry `hashed_token` for token-authenticated requests);
# a `geoip` transform with an ASN database to compare networks (AS numbers) instead of single
# addresses: without one, the origin is the address itself.
title: GitHub token used from a new network or client, or by a secret scanner
id: f87206c5-2076-48c0-84f2-04785ed68a4f
name: github_token_new_origin
status: stable
description: >-
    A GitHub token used from a new network or client, or by a secret scanner.
    A token (by its hashed_token) was used from a network (AS number, or the address without
    GeoIP) or with a client (the product token of the user agent: git, go-git, node,
    python-requests, ...) never seen for it since it was first seen, after it has been known
    for a day; or by a secret scanner (TruffleHog, gitleaks, nord-stream), whatever its
    history. Low on its own: it raises github_pat_mass_clone and github_bulk_clone one step
    for the same token within 2 hours, and feeds repo_exfil_chain. Tokens first seen less
    than a day ago (new tokens, hourly GitHub App installation tokens) have no history to
    differ from and are not judged. One alert per token per 2 hours.
author: Sluice
date: 2025-12-03
references:
    - https://attack.mitre.org/techniques/T1550/001/
    - https://attack.mitre.org/techniques/T1552/001/
    - https://docs.github.com/en/enterprise-cloud@latest/admin/monitoring-activity-in-your-enterprise/reviewing-audit-logs-for-your-enterprise/identifying-audit-log-events-performed-by-an-access-token
tags:
    - attack.defense_evasion
    - attack.lateral_movement
    - attack.t1550.001
    - attack.credential_access
    - attack.t1552.001
falsepositives:
    - A developer working from a new network (travel, a new ISP) with the same token
    - A new tool adopted by a team (a new git client or SDK)
level: low
logsource:
    product: github
    service: audit
detection:
    token:
        hashed_token|exists: true
    condition: token
sluice:
    family: github
    coalesce:
        hashed_token: [github.hashed_token]
        origin: [source.as.number, source.ip]
    extract:
        client: {field: user_agent.original, regex: '^([^/\s]+)'}
    selections:
        secret_scanner:
            user_agent.original|contains:
                - trufflehog
                - gitleaks
                - nord-stream
                - noseyparker
    first_seen:
        entity: [hashed_token]
        values: [origin, client]
        each: true
        entity_learning: 24h
        or_when: secret_scanner
    suppress:
        for: 2h
        by: [hashed_token]
"""##),
        ("github_token_then_bulk_clone.yml", ##"""
# A token granted or created, then clones of many private repositories by the same actor.
#
# Needs: the GitHub audit log (token events and git events); threat intel for the escalation
# by the grant's address.
title: Personal access token or OAuth authorization granted
id: 6d68a6ee-073e-45dd-b419-c28821e8d444
name: github_token_granted
status: stable
description: A personal access token requested or granted, or an OAuth application authorized, in the GitHub audit log. Used by github_token_then_bulk_clone.
author: Sluice
date: 2025-12-03
logsource:
    product: github
    service: audit
detection:
    grant:
        action:
            - personal_access_token.access_granted
            - personal_access_token.request_created
            - personal_access_token.create
            - oauth_authorization.create
            - oauth_access.create
    condition: grant
falsepositives:
    - none on its own (a building block)
level: informational
---
title: Git clone of a private repository
id: 990c72e8-fd7b-43bf-bf90-c20432ccf073
name: github_private_clone
status: stable
description: A git clone of a private or internal repository. Counted by github_private_clone_burst.
author: Sluice
date: 2025-12-03
logsource:
    product: github
    service: audit
detection:
    clone:
        action: git.clone
        repository_public: false
    condition: clone
falsepositives:
    - none on its own (a building block)
level: informational
---
title: Clones of more than five private repositories within 30 minutes
id: 82f1fbbf-5667-4c72-b1fa-f4cb228e0fa6
name: github_private_clone_burst
status: stable
description: One actor cloned more than 5 distinct private repositories within 30 minutes. Used by github_token_then_bulk_clone; it does not alert on its own.
author: Sluice
date: 2025-12-03
falsepositives:
    - none on its own (a building block)
level: informational
correlation:
    type: value_count
    rules:
        - github_private_clone
    group-by:
        - actor
    timespan: 30m
    condition:
        field: repo
        gt: 5
---
title: New token followed by bulk cloning of private repositories
id: a1d0609f-11b2-4609-a216-919886c4a17f
name: github_token_then_bulk_clone
status: stable
description: >-
    A new token, then a sweep of private repositories by the same actor.
    A personal access token was granted or created (or an OAuth application authorized) and
    then, within 30 minutes, the same actor cloned more than 5 distinct private repositories:
    high. Critical when the grant came from an address threat intelligence lists (Tor exit,
    malicious, residential proxy) or from another address than the clones. A fresh token used
    at once for a sweep of private code is how departing insiders and account takeovers copy
    source code.
author: Sluice
date: 2025-12-03
references:
    - https://attack.mitre.org/techniques/T1213/003/
    - https://attack.mitre.org/techniques/T1550/001/
    - https://attack.mitre.org/detectionstrategies/DET0318/
tags:
    - attack.collection
    - attack.t1213.003
    - attack.defense_evasion
    - attack.t1550.001
falsepositives:
    - A developer creating a token for a new machine and cloning the repositories of the team (usually fewer than 6, or over SSH)
    - An engineer creating a token for a migration or an audit script (review and allowlist the actor for the period)
level: high
correlation:
    type: temporal_ordered
    rules:
        - github_token_granted
        - github_private_clone_burst
    group-by:
        - actor
    timespan: 30m
sluice:
    family: github
    placeholders:
        github_token_sweep_allowlist_actors: []
    allowlist:
        - user.name|expand: '%github_token_sweep_allowlist_actors%'
    selections:
        grant_from_risky_address:
            event.action:
                - personal_access_token.access_granted
                - personal_access_token.request_created
                - personal_access_token.create
                - oauth_authorization.create
                - oauth_access.create
            threat.enrichments.category: [tor_exit, malicious, residential_proxy]
    escalate:
        - when: grant_from_risky_address
          steps: 1
        - differs: source.ip
          steps: 1
"""##),
        ("repo_archive_mass_download.yml", ##"""
# Many private repositories downloaded as archives (zip/tarball) instead of cloned.
#
# Needs: the GitHub audit log (`repo.download_zip`) and/or a TLS-inspecting proxy log with the
# repo_services and context enrichers (`sluice.repo_service.operation: archive_download`,
# `sluice.repo.sanctioned`). Proxy logs do not say whether a repository is private: there every
# repository of a sanctioned namespace counts. Public repositories (upstream packages fetched
# by package managers from codeload.github.com) are never sanctioned namespaces and do not count.
title: Archive download of a private repository (GitHub audit log)
id: bbfde166-d05b-4b77-bf35-33fa2f9bc065
name: github_private_archive_download
status: stable
description: GitHub's audit event for a repository downloaded as a ZIP or tarball, for a private or internal repository. Counted by repo_archive_mass_download.
author: Sluice
date: 2025-12-03
logsource:
    product: github
    service: audit
detection:
    download:
        action: repo.download_zip
    public:
        - repository_public: true
        - public_repo: true
    condition: download and not public
falsepositives:
    - none on its own (a building block)
level: informational
---
title: Archive download from a sanctioned namespace (proxy log)
id: 0182958c-fbc8-41ea-bb2f-fb3487f8bd9f
name: proxy_sanctioned_archive_download
status: stable
description: A proxy request for a repository archive (codeload, zipball/tarball API, /archive/ links, GitLab and Bitbucket archives) of a repository in a sanctioned namespace. Counted by repo_archive_mass_download.
author: Sluice
date: 2025-12-03
logsource:
    category: proxy
detection:
    archive:
        sluice.repo_service.operation: archive_download
        sluice.repo.sanctioned: true
    condition: archive
falsepositives:
    - none on its own (a building block)
level: informational
---
title: Mass download of private repositories as archives
id: 6c199b1b-1825-4ae2-8968-567d94371676
name: repo_archive_mass_download
status: stable
description: >-
    Many private repositories downloaded as archives within 30 minutes.
    One actor (GitHub login; in proxy logs the proxy user, else the host) downloaded more than
    5 distinct private repositories of the company as archives within 30 minutes: medium; 15
    or more is high. Archives copy a repository's tree without cloning it, through the API or
    the web, and are a way to take many repositories quickly with a stolen token or session.
author: Sluice
date: 2025-12-03
references:
    - https://attack.mitre.org/techniques/T1213/003/
    - https://attack.mitre.org/detectionstrategies/DET0318/
    - https://docs.github.com/en/rest/repos/contents#download-a-repository-archive-zip
tags:
    - attack.collection
    - attack.t1213.003
    - attack.exfiltration
    - attack.t1567.001
falsepositives:
    - Build systems that fetch private dependencies as tarballs (package managers resolving github dependencies); they stay at a few repositories per host
    - Scripted audits or backups of repositories through the API (allowlist the account)
level: medium
correlation:
    type: value_count
    rules:
        - github_private_archive_download
        - proxy_sanctioned_archive_download
    group-by:
        - actor
    timespan: 30m
    condition:
        field: repository
        gt: 5
sluice:
    family: github
    coalesce:
        actor: [user.name, host.name, source.ip]
        repository: [github.repo, url_repository]
    extract:
        # owner/repo from the path of an archive URL: /owner/repo/zip/..., /repos/owner/repo/zipball,
        # /owner/repo/archive/... (codeload, the API and github.com name repositories alike)
        url_repository: {field: url.path, regex: '^/(?:repos/)?([^/]+/[^/]+)/'}
    placeholders:
        archive_download_allowlist_actors: []
    allowlist:
        - user.name|expand: '%archive_download_allowlist_actors%'
    tiers:
        - {gt: 5, level: medium}
        - {gte: 15, level: high}
"""##),
        ("repo_domain_first_seen.yml", ##"""
# A code-repository domain new for a host that is not expected to use code repositories.
#
# Needs: DNS query logs (BIND, dnsmasq, Zeek) and/or proxy logs, with the repo_services
# enricher (which names belong to code-repository services) and the context enricher
# (`sluice.asset.repo_egress` of the host, `sluice.identity.developer` of the proxy user).
title: Code-repository domain first seen for a host that does not use code repositories
id: 6af99f8b-60fb-4b96-a0f8-4d8be570d33e
name: repo_domain_first_seen
status: stable
description: >-
    A code-repository domain new for a host that does not use code repositories.
    A host whose asset says repo_egress false, or a person who is not a developer, resolved
    or reached a code-repository domain (github.com, api.github.com, *.githubusercontent.com,
    gitlab.com, bitbucket.org, ...; not paste sites) never seen for that host since the rule began learning
    (72 hours). Low on its own: a finance server that starts talking to api.github.com is
    the first sign of the uploads that repo_upload_volume and repo_upload_unsanctioned
    report; it also feeds repo_exfil_chain. Developer workstations and CI runners are not
    watched: new repository domains are their daily work.
author: Sluice
date: 2025-12-03
references:
    - https://attack.mitre.org/techniques/T1567/001/
    - https://attack.mitre.org/detectionstrategies/DET0318/
tags:
    - attack.exfiltration
    - attack.t1567.001
    - attack.command_and_control
    - attack.t1102
falsepositives:
    - A server that starts downloading release assets from GitHub after a change (set repo_egress true for it, or let it be learned)
    - A non-developer opening a link to a repository for the first time
level: low
logsource:
    category: dns
detection:
    repo_service:
        sluice.repo_service.name|exists: true
    no_repo_egress:
        sluice.asset.repo_egress: false
    non_developer:
        sluice.identity.developer: false
    text_storage:
        sluice.repo_service.name|expand: '%text_storage_services%'
    condition: repo_service and not text_storage and (no_repo_egress or non_developer)
sluice:
    family: network
    also_logsources:
        - category: proxy
    placeholders:
        # paste sites are in the repository-service catalog (for uploads) but are not code
        # repositories (ATT&CK T1567.003): a first visit to one is no sign of this pack's story
        text_storage_services: [pastebin, paste_ee, dpaste, hastebin, rentry, paste_rs, ghostbin]
    coalesce:
        host.name: [host.name, source.ip]
        domain: [dns.question.name, url.domain, destination.domain]
    first_seen:
        entity: [host.name]
        values: [domain]
"""##),
        ("repo_exfil_chain.yml", ##"""
# Several families of code-repository exfiltration alerts for one person.
#
# Needs: the other rules of this pack (their alerts, fed back to `product: sluice` rules) and
# the context enricher's identities, whose aliases make a GitHub login, a SAML NameID, a
# proxy user and an endpoint user one `sluice.identity.name`.
title: Alert of a code-repository exfiltration family
id: cf31f0f5-6c15-49d0-8f50-8f63386ab5fd
name: repo_family_alert
status: stable
description: An alert of one of the pack's families (github, network, endpoint). Counted by repo_exfil_chain.
author: Sluice
date: 2025-12-03
logsource:
    product: sluice
    service: alert
detection:
    family:
        sluice.family: [github, network, endpoint]
    condition: family
falsepositives:
    - none on its own (a building block)
level: informational
---
title: Code-repository exfiltration across families for one identity
id: 5b180aa9-3180-414c-9b7d-1c29883fd140
name: repo_exfil_chain
status: stable
description: >-
    Exfiltration alerts of several families for one identity.
    Alerts of two families of this pack (GitHub audit, network, endpoint) for the same
    identity within 2 hours: high; all three: critical. The identity is the context's: a
    GitHub login, a SAML NameID, a proxy user and a login on a host that are aliases of one
    person join. DET0318's direction: correlate staging on endpoints with repository egress
    for the same user.
author: Sluice
date: 2025-12-03
references:
    - https://attack.mitre.org/detectionstrategies/DET0318/
    - https://attack.mitre.org/techniques/T1567/001/
    - https://attack.mitre.org/techniques/T1213/003/
tags:
    - attack.exfiltration
    - attack.t1567.001
    - attack.collection
    - attack.t1213.003
falsepositives:
    - Whatever made each of the underlying alerts a false positive, for one busy person on one day
level: high
correlation:
    type: value_count
    rules:
        - repo_family_alert
    group-by:
        - identity
    timespan: 2h
    condition:
        field: sluice.family
        gte: 2
sluice:
    coalesce:
        identity: [sluice.identity.name]
    tiers:
        - {gte: 2, level: high}
        - {gte: 3, level: critical}
"""##),
        ("repo_push_unsanctioned.yml", ##"""
# git push / git remote to a repository outside the sanctioned namespaces.
#
# Needs: endpoint process telemetry (auditd EXECVE, Sysmon for Linux, osquery) with the
# context enricher, which reads the repository URL of `git push|remote add|remote set-url`
# command lines into `sluice.repo.namespace`/`.sanctioned` (against `repositories.sanctioned`),
# gives the host's `repo_egress`, and masks credentials in command lines and raw records
# before anything else sees them.
title: Git push or remote to a repository outside the sanctioned namespaces
id: ad88062f-290a-4410-892b-3b2fb79b4516
name: repo_push_unsanctioned
status: stable
description: >-
    A git push or remote to a repository outside the sanctioned namespaces.
    git push, git remote add or git remote set-url naming a repository URL whose namespace
    is not sanctioned (repositories.sanctioned in the context), or any git push from a host
    whose asset says repo_egress false: medium. Credentials in the URL (a token as user or
    password) are masked in the alert and its evidence. One alert per host and namespace per
    hour.
author: Sluice
date: 2025-12-03
references:
    - https://attack.mitre.org/techniques/T1567/001/
    - https://attack.mitre.org/detectionstrategies/DET0318/
tags:
    - attack.exfiltration
    - attack.t1567.001
falsepositives:
    - Adding an upstream remote of an open-source project to contribute to it (sanction the namespace, or allowlist the host)
    - A personal project approved by policy (sanction its namespace in the context file)
level: medium
logsource:
    category: process_creation
    product: linux
detection:
    git:
        Image|endswith: /git
    push:
        CommandLine|re: '^\S*git(\s+(-[Cc]\s+\S+|--\S+|-\S+))*\s+push(\s|$)'
    remote:
        CommandLine|re: '^\S*git(\s+(-[Cc]\s+\S+|--\S+|-\S+))*\s+remote\s+(add|set-url)\s'
    unsanctioned:
        sluice.repo.sanctioned: false
    no_repo_egress:
        sluice.asset.repo_egress: false
    condition: git and (((push or remote) and unsanctioned) or (push and no_repo_egress))
sluice:
    family: endpoint
    coalesce:
        namespace: [sluice.repo.namespace]
    placeholders:
        repo_push_allowlist_hosts: []
    allowlist:
        - host.name|expand: '%repo_push_allowlist_hosts%'
    suppress:
        for: 1h
        by: [host.name, namespace]
"""##),
        ("repo_upload_unsanctioned.yml", ##"""
# Pushes and uploads, seen by the proxy, to a namespace that is not sanctioned.
#
# Needs: a TLS-inspecting proxy log (full URLs) with the repo_services enricher (operations
# `push`: git-receive-pack; `upload`: contents API, blobs, gists, uploads.github.com, GitLab
# uploads and file commits) and the context enricher (`sluice.repo.namespace`,
# `sluice.repo.sanctioned` from `repositories.sanctioned`; the asset's role).
title: Upload to a code-repository namespace that is not sanctioned
id: c1a3f3f1-6a98-4ff0-acf6-e6f0b310bef9
name: repo_upload_unsanctioned
status: stable
description: >-
    A push or upload to a repository namespace that is not sanctioned.
    A host pushed (git-receive-pack) or uploaded (contents API, release assets, gists, GitLab
    uploads) to a repository namespace that is not among the sanctioned ones: medium; high
    from a server or an admin jump host. One alert per host and namespace per hour.
author: Sluice
date: 2025-12-03
references:
    - https://attack.mitre.org/techniques/T1567/001/
    - https://attack.mitre.org/detectionstrategies/DET0318/
tags:
    - attack.exfiltration
    - attack.t1567.001
falsepositives:
    - Contributions to open-source projects from work machines (add the namespace to repositories.sanctioned if policy allows it)
    - A developer's personal side project approved by policy (sanction it by name in the context file)
level: medium
logsource:
    category: proxy
detection:
    upload:
        sluice.repo_service.operation: [push, upload]
    unsanctioned:
        sluice.repo.sanctioned: false
    condition: upload and unsanctioned
sluice:
    family: network
    coalesce:
        host.name: [host.name, source.ip]
        namespace: [sluice.repo.namespace]
    selections:
        server_or_jump_host:
            sluice.asset.role: [server, admin_jump]
    escalate:
        - when: server_or_jump_host
          steps: 1
    suppress:
        for: 1h
        by: [host.name, namespace]
"""##),
        ("repo_upload_volume.yml", ##"""
# Unusual volume of data sent to code-repository services, per host and hour.
#
# Needs: a proxy log with the request size (`source.bytes`: Squid `%>st`, W3C `cs-bytes`) and
# the response size, the repo_services enricher (which requests go to a code-repository
# service, CONNECT tunnels included) and the context enricher (assets: `host.name` of the
# client address, `role`, `repo_egress`).
title: Unusual upload volume to code-repository services
id: 83e2de30-4fc5-4428-99cb-496e2dc50e35
name: repo_upload_volume
status: stable
description: >-
    Unusual volume sent to code-repository services by one host in an hour.
    A host sent more bytes to code-repository services (GitHub, GitLab, Bitbucket, ...; API,
    git, upload hosts and CONNECT tunnels) within a clock hour than it ever should: at least
    50 MiB, at least 3 times its learned hourly p95 (the last 168 hours, hours without
    traffic counting as 0; learning 72 hours) and more than it received from them in that
    hour (out/in at least 1: cloning repositories then pushing them elsewhere moves about as
    much each way, so the ratio cannot be asked to be higher). Medium from 100 MiB. Servers and admin jump hosts, and any host whose asset
    says repo_egress false, are medium from 50 MiB and high from 250 MiB.
author: Sluice
date: 2025-12-03
references:
    - https://attack.mitre.org/techniques/T1567/001/
    - https://attack.mitre.org/detectionstrategies/DET0318/
tags:
    - attack.exfiltration
    - attack.t1567.001
    - attack.t1030
falsepositives:
    - A developer pushing a large repository for the first time (history rewrite, LFS migration)
    - CI runners publishing release assets or caches beyond three times their usual hour (raise k for the ci_runner role by a separate copy of the rule, or allowlist the host)
level: medium
logsource:
    category: proxy
detection:
    repo_service:
        sluice.repo_service.name|exists: true
    condition: repo_service
sluice:
    family: network
    coalesce:
        host.name: [host.name, source.ip]
    placeholders:
        repo_upload_allowlist_hosts: []
    allowlist:
        - host.name|expand: '%repo_upload_allowlist_hosts%'
    selections:
        sensitive_host:
            - sluice.asset.repo_egress: false
            - sluice.asset.role: [server, admin_jump]
    baseline:
        entity: [host.name]
        value: source.bytes
        bucket: 1h
        k: 3
        floor: 50MiB
        history: 168
        ratio: {field: destination.bytes, min: 1}
    tiers:
        - {gte: 100MiB, level: medium}
        - {when: sensitive_host, gte: 50MiB, level: medium}
        - {when: sensitive_host, gte: 250MiB, level: high}
"""##),
    ]
}
