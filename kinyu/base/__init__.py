"""The base layer every stage builds on, importing none of them: typed YAML configs
(``kinyu.base.config``) and run folders with their manifests (``kinyu.base.runs``)."""
