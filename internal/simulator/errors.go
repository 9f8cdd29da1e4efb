package simulator

import (
	"fmt"
	"net/http"
)

// apiError is an AWS error as every protocol reports it.
type apiError struct {
	status int
	// code is the awsQuery error code (ValidationError, Throttling, DBInstanceNotFound);
	// JSON and CBOR clients of query-compatible CloudWatch read it from X-Amzn-Query-Error.
	code string
	// shape is the modeled Smithy error shape that JSON and CBOR carry in __type, or ""
	// for errors AWS does not model (throttling, internal failures).
	shape   string
	server  bool // fault: Receiver instead of Sender
	message string
}

func (e *apiError) Error() string { return fmt.Sprintf("%s (%d): %s", e.code, e.status, e.message) }

func (e *apiError) fault() string {
	if e.server {
		return "Receiver"
	}
	return "Sender"
}

func newAPIError(status int, code, shape, format string, args ...any) *apiError {
	return &apiError{status: status, code: code, shape: shape, server: status >= 500, message: fmt.Sprintf(format, args...)}
}

func errValidation(format string, args ...any) *apiError {
	return newAPIError(http.StatusBadRequest, "ValidationError", "ValidationException", format, args...)
}

func errInvalidParameter(format string, args ...any) *apiError {
	return newAPIError(http.StatusBadRequest, "InvalidParameterValue", "InvalidParameterValueException", format, args...)
}

func errInvalidParameterCombination(format string, args ...any) *apiError {
	return newAPIError(http.StatusBadRequest, "InvalidParameterCombination", "InvalidParameterCombinationException", format, args...)
}

func errMissingParameter(name string) *apiError {
	return newAPIError(http.StatusBadRequest, "MissingParameter", "MissingRequiredParameterException",
		"The parameter %s is required.", name)
}

func errInvalidNextToken() *apiError {
	return newAPIError(http.StatusBadRequest, "InvalidNextToken", "InvalidNextToken", "The service couldn't process the NextToken.")
}

// errThrottling is what a service answers when a caller exceeds its rate: code
// Throttling for RDS and CloudWatch, the modeled ThrottlingException for CloudWatch
// Logs. The SDKs' standard retryers retry both.
func errThrottling(service string) *apiError {
	if service == "logs" || service == "pi" {
		return newAPIError(http.StatusBadRequest, "ThrottlingException", "ThrottlingException", "Rate exceeded")
	}
	return newAPIError(http.StatusBadRequest, "Throttling", "", "Rate exceeded")
}

func (e *apiError) throttling() bool {
	return e.code == "Throttling" || e.code == "ThrottlingException"
}

// errServiceFailure is an injected server-side failure (HTTP 500): InternalFailure, or
// for CloudWatch Logs its modeled ServiceUnavailableException.
func errServiceFailure(service string) *apiError {
	if service == "logs" {
		return newAPIError(http.StatusInternalServerError, "ServiceUnavailableException", "ServiceUnavailableException",
			"The service cannot complete the request.")
	}
	if service == "pi" {
		return newAPIError(http.StatusInternalServerError, "InternalServiceError", "InternalServiceError", "The request failed due to an unknown error.")
	}
	return errInternalFailure()
}

func errInternalFailure() *apiError {
	return newAPIError(http.StatusInternalServerError, "InternalFailure", "",
		"The request processing has failed because of an unknown error, exception or failure.")
}

func errInvalidAction(action string) *apiError {
	return newAPIError(http.StatusBadRequest, "InvalidAction", "", "The action %s is not valid for this web service.", action)
}

func errUnknownOperation(op string) *apiError {
	return newAPIError(http.StatusBadRequest, "UnknownOperationException", "UnknownOperationException",
		"Operation %s is not supported by the simulator.", op)
}

func errMalformed(err error) *apiError {
	return newAPIError(http.StatusBadRequest, "SerializationException", "SerializationException",
		"could not decode the request: %v", err)
}
