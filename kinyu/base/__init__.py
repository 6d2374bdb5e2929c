"""The base layer every stage builds on, importing none of them: typed YAML configs
(``kinyu.base.config``), run folders with their manifests (``kinyu.base.runs``), the names inside
every run folder (``kinyu.base.layout``) and the benchmark tasks with their data files
(``kinyu.base.benchmarks``)."""
