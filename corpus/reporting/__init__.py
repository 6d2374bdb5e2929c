"""Reading a finished corpus run (``run_reader``: funnel, drop reasons, samples, duplicate
clusters, run comparison) and rendering it for the terminal (``console``) and as one HTML page
(``html``)."""
