package provider

// Messages are the texts of the preview space and the consents pages by
// language and key, for the tests that look for text left untranslated.
var Messages = messages
