# syntax=docker/dockerfile:1
# Build: restore first (cached while only sources change), then publish framework-dependent.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY Directory.Build.props SupportChat.csproj ./
RUN dotnet restore SupportChat.csproj
COPY . .
RUN dotnet publish SupportChat.csproj -c Release -o /app --no-restore -p:UseAppHost=false

# Run: the small ASP.NET runtime image (InvariantGlobalization, so no ICU is needed), as the image's non-root user.
FROM mcr.microsoft.com/dotnet/aspnet:10.0-alpine AS runtime
WORKDIR /app
COPY --from=build /app .
ENV ASPNETCORE_ENVIRONMENT=Production \
    Server__ListenAddress=0.0.0.0 \
    Server__Port=8080
USER $APP_UID
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
    CMD wget -q -O /dev/null http://127.0.0.1:8080/health/live || exit 1
ENTRYPOINT ["dotnet", "SupportChat.dll"]
