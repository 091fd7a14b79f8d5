package ncip

// The service types, their decoders and encoders, and package conform's
// NCIP 2 content models are generated from the NCIP 2.02 XSD and the list of
// modelled services in internal/ncipgen/services.go.
//go:generate go run ./internal/ncipgen -xsd testdata/xsd/ncip_v2_02.xsd -dir .
