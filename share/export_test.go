package share

// LinkKeys exposes the link KDF to the black-box vector tests.
var LinkKeys = linkKeys
