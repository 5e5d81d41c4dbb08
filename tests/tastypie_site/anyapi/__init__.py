"""Resources in the shapes other Tastypie APIs use (string and slug keys, keyless schemas,
``detail_uri_name``, ``collection_name``, ``include_resource_uri = False``, ``use_in``, two
API versions, slashless URLs; ``wild.py``: shapes from large open-source projects), mounted
beside the MailRoute copy under their own prefixes."""
