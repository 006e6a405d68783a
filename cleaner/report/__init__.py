"""The run's reports: per-shard tallies (``tally``), the JSON report and the summary it
ends with (``builder``), the terminal rendering (``terminal``) and the HTML report (``html``:
its data, ``html_page``: its page, style and script); ``names`` says how pages and group
ids are named in all of them."""
