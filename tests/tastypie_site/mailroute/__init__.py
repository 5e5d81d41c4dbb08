"""Django app of the test-only Tastypie site: models and resources copying MailRoute's API."""
