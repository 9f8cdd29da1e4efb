package sqlquery

import (
	"context"
	"errors"
	"fmt"
	"net"
	"regexp"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/rds/auth"
)

// rdsHostRegion finds the region in an RDS endpoint name such as
// orders.abc123.eu-west-1.rds.amazonaws.com, for static targets configured with IAM auth.
var rdsHostRegion = regexp.MustCompile(`\.([a-z]{2}(?:-[a-z]+)+-\d+)\.rds\.amazonaws\.com(?:\.cn)?$`)

// iamAuth mints RDS IAM authentication tokens. A token is valid for 15 minutes but only
// checked at login, so one is minted for every new connection and never stored.
type iamAuth struct {
	creds  aws.CredentialsProvider
	region string
	user   string
}

func newIAMAuth(creds aws.CredentialsProvider, region, host, user string) (*iamAuth, error) {
	if creds == nil {
		return nil, errors.New("iam_auth: no AWS credentials available")
	}
	if region == "" {
		if m := rdsHostRegion.FindStringSubmatch(host); m != nil {
			region = m[1]
		}
	}
	if region == "" {
		return nil, fmt.Errorf("iam_auth: cannot tell the AWS region of host %q (not an RDS endpoint name)", host)
	}
	if user == "" {
		return nil, errors.New("iam_auth: no username")
	}
	return &iamAuth{creds: creds, region: region, user: user}, nil
}

// token mints a token for host:port.
func (a *iamAuth) token(ctx context.Context, host string, port int) (string, error) {
	tok, err := auth.BuildAuthToken(ctx, net.JoinHostPort(host, strconv.Itoa(port)), a.region, a.user, a.creds)
	if err != nil {
		return "", fmt.Errorf("iam_auth: minting a token: %w", err)
	}
	return tok, nil
}
