package admin

//go:generate go tool genqlient genqlient.yaml
